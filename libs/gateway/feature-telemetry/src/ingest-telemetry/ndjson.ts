import { type FixRejection, malformedLine } from './fix-validation';

/** Each line one fix; a line that is not JSON is rejected on its own. Blank lines are not fixes. */
export function parseNdjson(text: string): { items: unknown[]; malformed: FixRejection[] } {
  const items: unknown[] = [];
  const malformed: FixRejection[] = [];
  text.split('\n').forEach((line, lineNo) => {
    if (line.trim() === '') return;
    const index = items.length;
    try {
      items.push(JSON.parse(line));
    } catch {
      items.push(undefined);
      malformed.push(malformedLine(index, lineNo + 1));
    }
  });
  return { items, malformed };
}
