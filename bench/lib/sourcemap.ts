/**
 * Just enough of a source map reader to say which original file a generated position comes
 * from (the bench attributes CPU profile samples of a bundle to packages with it).
 */
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

export class SourceMap {
  /** Per generated line: [generatedColumn, sourceIndex] pairs, by column. */
  private readonly lines: number[][] = [];

  constructor(private readonly map: { sources: string[]; mappings: string }) {
    let source = 0;
    let sourceLine = 0;
    let sourceColumn = 0;
    let name = 0;
    for (const line of map.mappings.split(';')) {
      const pairs: number[] = [];
      let column = 0;
      if (line) {
        for (const segment of line.split(',')) {
          const fields = decodeVlq(segment);
          column += fields[0] ?? 0;
          if (fields.length >= 4) {
            source += fields[1] as number;
            sourceLine += fields[2] as number;
            sourceColumn += fields[3] as number;
            if (fields.length >= 5) name += fields[4] as number;
            pairs.push(column, source);
          }
        }
      }
      this.lines.push(pairs);
    }
    void sourceLine;
    void sourceColumn;
    void name;
  }

  /** The original source of a 0-based generated position (the nearest mapping at or before it). */
  sourceAt(line: number, column: number): string | undefined {
    const pairs = this.lines[line];
    if (!pairs || pairs.length === 0) return undefined;
    let lo = 0;
    let hi = pairs.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((pairs[mid * 2] as number) <= column) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    return this.map.sources[pairs[found * 2 + 1] as number];
  }
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`bad VLQ character ${char}`);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
