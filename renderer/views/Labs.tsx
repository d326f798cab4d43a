import { useTranslation } from 'react-i18next';
import { Placeholder } from '../components/Placeholder.tsx';

export default function LabsView(_props: { route?: string }) {
  const { t } = useTranslation();
  return <Placeholder title={t('nav.labs')} />;
}
