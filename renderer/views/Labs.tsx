// Labs: `#/labs` lists them; `#/labs/<id>` opens a built-in lab, `#/labs/<packId>/<id>` one of
// an opened pack.
import './labs.css';
import { LabList } from './labs/LabList.tsx';
import { LabView } from './labs/LabView.tsx';

export default function LabsView({ route = '' }: { route?: string }) {
  const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return <LabList />;
  const [packId, labId] = parts.length === 1 ? ['builtin', parts[0]] : [parts[0], parts[1]];
  return <LabView key={`${packId}/${labId}`} packId={packId} labId={labId} />;
}
