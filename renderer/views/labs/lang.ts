// The lab text language follows the app's language switch.
import { useTranslation } from 'react-i18next';

export type LabLang = 'en' | 'ko';

export function useLang(): LabLang {
  const { i18n } = useTranslation();
  return i18n.language?.startsWith('ko') ? 'ko' : 'en';
}

/** Text in the chosen language, falling back to English for packs without a translation. */
export function pick(text: Partial<Record<string, string>> | undefined, lang: LabLang): string {
  return text?.[lang] ?? text?.en ?? '';
}
