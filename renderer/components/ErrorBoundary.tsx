import { Component, type ReactNode } from 'react';
import { Translation } from 'react-i18next';

interface State {
  error: Error | null;
}

/** Keeps one broken view from taking the whole window down, and says what failed. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidUpdate(prev: { resetKey?: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <Translation>
        {(t) => (
          <div role="alert" className="error-panel">
            <h2>{t('error.title')}</h2>
            <p>{t('error.body')}</p>
            <pre>{this.state.error?.message}</pre>
            <button onClick={() => this.setState({ error: null })}>{t('error.retry')}</button>
          </div>
        )}
      </Translation>
    );
  }
}
