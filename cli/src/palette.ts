// Terminal colour, only when stdout is a TTY and NO_COLOR is unset or empty (no-color.org).
// Every coloured word also carries a symbol or text, so nothing depends on colour alone.
export interface Palette {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const plainPalette: Palette = { red: (t) => t, yellow: (t) => t, green: (t) => t, dim: (t) => t, bold: (t) => t };
export const ansiPalette: Palette = { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22) };

export function useColour(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return isTTY === true && !env.NO_COLOR;
}

/** Text from agents (node names, evidence) may hold control characters: never let them reach the terminal. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const clean = (text: unknown): string => String(text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');

/** Visible width of a string with ANSI colour codes. */
// eslint-disable-next-line no-control-regex -- ESC starts the colour codes to skip
export const visibleLength = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, '').length;

export const padVisible = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - visibleLength(text)));
