import { AssertionError } from 'node:assert';
import { inspect, isDeepStrictEqual } from 'node:util';
import type { ErrorCode } from '@meridian/contracts/core';
import { type Decider, type Decision, type DomainEvent, fold } from './decider';

export interface DeciderThen<E> {
  /** The command is accepted and decides exactly these events, in this order (none: a no-op). */
  then(expected: readonly E[]): void;
  /** The command is refused with this code; `detail`, when given, must match the refusal's detail. */
  thenRejects(code: ErrorCode, detail?: RegExp | string): void;
}

export interface DeciderWhen<C, E> {
  when(command: C): DeciderThen<E>;
}

export interface DeciderSpec<C, E> extends DeciderWhen<C, E> {
  given(events: readonly E[]): DeciderWhen<C, E>;
}

/**
 * Given events / when command / then events or refusal, for any decider. Failures throw node's
 * AssertionError (with the expected and actual values and a diff), so it works under any runner.
 */
export function deciderSpec<C, S, E extends DomainEvent>(decider: Decider<C, S, E>): DeciderSpec<C, E> {
  const given = (history: readonly E[]): DeciderWhen<C, E> => ({
    when: (command) => {
      const state = fold(decider as Decider<unknown, S, E>, decider.initialState, history);
      const decision = decider.decide(command, state);
      const context = `given ${history.length} event(s) ${describeTypes(history)}, when ${describeCommand(command)}`;
      return {
        then: (expected) => expectEvents(decision, expected, context),
        thenRejects: (code, detail) => expectRejection(decision, code, detail, context),
      };
    },
  });
  return { given, when: (command) => given([]).when(command) };
}

function expectEvents<E extends DomainEvent>(decision: Decision<E>, expected: readonly E[], context: string): void {
  if (!decision.ok) {
    const refusal = `${decision.code} (${decision.detail})`;
    const message = `${context}: expected events, but the command was refused with ${refusal}`;
    fail(message, decision, { ok: true, events: expected });
  }
  const actual = [...decision.events];
  if (isDeepStrictEqual(actual, [...expected])) return;
  // With this operator node appends a +actual/-expected diff to the message.
  throw new AssertionError({
    message: `${context}: decided events differ from the expected ones`,
    actual,
    expected: [...expected],
    operator: 'deepStrictEqual',
  });
}

function expectRejection<E extends DomainEvent>(
  decision: Decision<E>,
  code: ErrorCode,
  detail: RegExp | string | undefined,
  context: string,
): void {
  const expected = { ok: false, code, ...(detail === undefined ? {} : { detail }) };
  const wanted = `${context}: expected a refusal with ${code}`;
  if (decision.ok)
    fail(`${wanted}, but the command was accepted with ${describeTypes(decision.events)}`, decision, expected);
  if (decision.code !== code) fail(`${wanted}, got ${decision.code} (${decision.detail})`, decision, expected);
  if (detail === undefined) return;
  const matches = typeof detail === 'string' ? decision.detail.includes(detail) : detail.test(decision.detail);
  if (!matches) {
    const message = `${wanted}: its detail ${JSON.stringify(decision.detail)} does not match ${String(detail)}`;
    fail(message, decision, expected);
  }
}

function fail(message: string, actual: unknown, expected: unknown): never {
  throw new AssertionError({ message, actual, expected, operator: 'deciderSpec' });
}

const describeTypes = (events: readonly DomainEvent[]): string => `[${events.map((e) => e.type).join(', ')}]`;

const describeCommand = (command: unknown): string => {
  const type = (command as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : inspect(command, { depth: 2 });
};
