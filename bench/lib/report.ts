/** What every part hands back: rows for the markdown tables and the targets it judged. */
export interface Target {
  part: string;
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface Section {
  title: string;
  /** Markdown lines (tables, notes). */
  lines: string[];
  targets: Target[];
}

export function table(header: string[], rows: (string | number)[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export const mark = (met: boolean): string => (met ? 'met' : '**not met**');
