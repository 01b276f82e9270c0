// What to tell the user about a failed call: the server's own message, plus when to retry for 429.
import { ApiError, NetworkError } from '../api.js';
import { t } from '../i18n.js';

export function errorText(error) {
  if (error instanceof NetworkError) return [t('error.network')];
  if (!(error instanceof ApiError)) return [t('error.unexpected')];
  const lines = [error.message || t('error.unexpected')];
  if (error.status === 429 && error.retryAfterMinutes != null) {
    lines.push(t('error.retryAfter', { count: error.retryAfterMinutes }));
  }
  return lines;
}
