// xterm colours from the app's theme tokens (renderer/styles.css), so the terminal follows the
// light/dark switch. ANSI colours are tuned per mode for contrast on the panel background.
import type { ITheme } from '@xterm/xterm';

const ANSI_LIGHT = {
  black: '#1d2430', red: '#c53030', green: '#1f7a44', yellow: '#9a6700', blue: '#2f6fdf', magenta: '#9b3bb5', cyan: '#127a8a', white: '#6b7585',
  brightBlack: '#5d6878', brightRed: '#e04848', brightGreen: '#2b9a58', brightYellow: '#b7791f', brightBlue: '#4d88f0', brightMagenta: '#b556cf', brightCyan: '#1f95a8', brightWhite: '#8c96a6',
};
const ANSI_DARK = {
  black: '#2c3440', red: '#fc8181', green: '#68d391', yellow: '#ecc94b', blue: '#6ea2ff', magenta: '#d6a4f5', cyan: '#63d3e0', white: '#e3e8ef',
  brightBlack: '#98a3b3', brightRed: '#feb2b2', brightGreen: '#9ae6b4', brightYellow: '#faf089', brightBlue: '#a3c4ff', brightMagenta: '#e9c8fa', brightCyan: '#9decf5', brightWhite: '#ffffff',
};

export function currentThemeMode(): 'light' | 'dark' {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

export function xtermTheme(): ITheme {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dark = currentThemeMode() === 'dark';
  const accent = v('--accent', dark ? '#6ea2ff' : '#2f6fdf');
  return {
    background: v('--code-bg', dark ? '#222833' : '#f0f2f5'),
    foreground: v('--fg', dark ? '#e3e8ef' : '#1d2430'),
    cursor: accent,
    cursorAccent: v('--code-bg', '#000'),
    selectionBackground: `${accent}55`,
    scrollbarSliderBackground: `${v('--muted', '#888')}44`,
    ...(dark ? ANSI_DARK : ANSI_LIGHT),
  };
}

export function monoFont(): string {
  return getComputedStyle(document.documentElement).getPropertyValue('--mono').trim() || 'monospace';
}

/** Calls `fn` whenever the app switches between light and dark. */
export function onThemeChange(fn: () => void): () => void {
  const observer = new MutationObserver(() => fn());
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}
