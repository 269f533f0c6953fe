/**
 * A small reader of Mapbox Vector Tiles (spec 2.1) for tests: layers, their features' properties
 * and geometries in tile units. Enough protobuf to read what ST_AsMVT writes; not a renderer.
 */
export type MvtValue = string | number | bigint | boolean;

export interface MvtFeature {
  readonly type: 'Point' | 'LineString' | 'Polygon' | 'Unknown';
  readonly properties: Readonly<Record<string, MvtValue>>;
  /** Rings or point lists as decoded, in tile units (0…extent, beyond it inside the buffer). */
  readonly geometry: readonly (readonly [number, number][])[];
}

export interface MvtLayer {
  readonly name: string;
  readonly extent: number;
  readonly version: number;
  readonly features: readonly MvtFeature[];
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  uint(): number {
    return Number(this.varint());
  }
  bytes(): Uint8Array {
    const n = this.uint();
    const out = this.buf.subarray(this.pos, this.pos + n);
    if (out.length !== n) throw new Error('truncated field');
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  /** Yields [field, wire type] until the end. */
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const tag = this.uint();
      yield [tag >>> 3, tag & 7];
    }
  }
}

const zigzag = (n: number): number => (n >>> 1) ^ -(n & 1);
const packed = (bytes: Uint8Array): number[] => {
  const r = new Reader(bytes);
  const out: number[] = [];
  while (!r.done) out.push(r.uint());
  return out;
};

function readValue(bytes: Uint8Array): MvtValue {
  const r = new Reader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const [field, wire] of r.fields()) {
    switch (field) {
      case 1:
        return new TextDecoder().decode(r.bytes());
      case 2:
        return view.getFloat32(r.pos, true);
      case 3:
        return view.getFloat64(r.pos, true);
      case 4:
        return BigInt.asIntN(64, r.varint());
      case 5:
        return r.varint();
      case 6: {
        const v = r.varint();
        return (v >> 1n) ^ -(v & 1n);
      }
      case 7:
        return r.varint() !== 0n;
      default:
        r.skip(wire);
    }
  }
  throw new Error('empty value');
}

function readGeometry(commands: readonly number[]): [number, number][][] {
  const parts: [number, number][][] = [];
  let x = 0;
  let y = 0;
  let i = 0;
  while (i < commands.length) {
    const id = commands[i] & 7;
    const count = commands[i] >>> 3;
    i++;
    if (id === 7) continue; // ClosePath
    for (let k = 0; k < count; k++) {
      x += zigzag(commands[i++]);
      y += zigzag(commands[i++]);
      if (id === 1) parts.push([[x, y]]);
      else parts[parts.length - 1].push([x, y]);
    }
  }
  return parts;
}

const geometryTypes = ['Unknown', 'Point', 'LineString', 'Polygon'] as const;

function readLayer(bytes: Uint8Array): MvtLayer {
  const r = new Reader(bytes);
  let name = '';
  let extent = 4096;
  let version = 1;
  const keys: string[] = [];
  const values: MvtValue[] = [];
  const raw: { tags: number[]; type: number; geometry: number[] }[] = [];
  for (const [field, wire] of r.fields()) {
    if (field === 1) name = new TextDecoder().decode(r.bytes());
    else if (field === 2) {
      const f = new Reader(r.bytes());
      const feature = { tags: [] as number[], type: 0, geometry: [] as number[] };
      for (const [ff, fw] of f.fields()) {
        if (ff === 2) feature.tags = packed(f.bytes());
        else if (ff === 3) feature.type = f.uint();
        else if (ff === 4) feature.geometry = packed(f.bytes());
        else f.skip(fw);
      }
      raw.push(feature);
    } else if (field === 3) keys.push(new TextDecoder().decode(r.bytes()));
    else if (field === 4) values.push(readValue(r.bytes()));
    else if (field === 5) extent = r.uint();
    else if (field === 15) version = r.uint();
    else r.skip(wire);
  }
  const features = raw.map((f): MvtFeature => {
    const properties: Record<string, MvtValue> = {};
    for (let i = 0; i < f.tags.length; i += 2) properties[keys[f.tags[i]]] = values[f.tags[i + 1]];
    return { type: geometryTypes[f.type] ?? 'Unknown', properties, geometry: readGeometry(f.geometry) };
  });
  return { name, extent, version, features };
}

/** The layers of a tile, by name. */
export function readMvt(tile: Uint8Array): Record<string, MvtLayer> {
  const r = new Reader(tile);
  const layers: Record<string, MvtLayer> = {};
  for (const [field, wire] of r.fields()) {
    if (field !== 3) {
      r.skip(wire);
      continue;
    }
    const layer = readLayer(r.bytes());
    layers[layer.name] = layer;
  }
  return layers;
}
