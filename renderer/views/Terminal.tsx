import { useTranslation } from 'react-i18next';
import { Placeholder } from '../components/Placeholder.tsx';

export default function TerminalView(_props: { route?: string }) {
  const { t } = useTranslation();
  return <Placeholder title={t('nav.terminal')} />;
}
