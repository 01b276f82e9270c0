// Entry point: page styles, the app's root element, and the service worker with its update gate.
import './styles.css';
import './views/kaari-app.js';
import { activateUpdateIfIdle, registerServiceWorker, setIdleCheck, updateWaiting } from './sw-update.js';

// The sync engine (later) and the browser tests reach the update gate here.
window.kaari = Object.freeze({ activateUpdateIfIdle, setIdleCheck, updateWaiting });

registerServiceWorker().catch((error) => {
  // The app works online without a worker; say why it will not work offline.
  console.warn('Kaari: the service worker could not be registered', error);
});
