// i18next with one JSON file per namespace and language: renderer/i18n/locales/<lng>/<ns>.json.
// Each view owns its namespace file; this loader picks them all up.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

export const LANGUAGES = ['en', 'ko'] as const;
export type Language = (typeof LANGUAGES)[number];

const files = import.meta.glob<{ default: Record<string, unknown> }>('./locales/*/*.json', { eager: true });
const resources: Record<string, Record<string, Record<string, unknown>>> = {};
for (const [file, mod] of Object.entries(files)) {
  const [, lng, ns] = /\.\/locales\/([^/]+)\/([^/]+)\.json$/.exec(file)!;
  (resources[lng] ??= {})[ns] = mod.default;
}

const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('meshwalk.lang') : null;
const browser = typeof navigator !== 'undefined' && navigator.language.startsWith('ko') ? 'ko' : 'en';

void i18n.use(initReactI18next).init({
  resources,
  lng: stored === 'ko' || stored === 'en' ? stored : browser,
  fallbackLng: 'en',
  defaultNS: 'shell',
  ns: Object.keys(resources.en ?? {}),
  interpolation: { escapeValue: false },
});

export function setLanguage(lng: Language): void {
  localStorage.setItem('meshwalk.lang', lng);
  void i18n.changeLanguage(lng);
  document.documentElement.lang = lng;
}

export default i18n;
