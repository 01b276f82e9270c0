// Entry point: page styles, the app's root element, and the service worker with its update gate.
import './styles.css';
import './views/kaari-app.js';
import { activateUpdateIfIdle, registerServiceWorker, setIdleCheck, updateWaiting } from './sw-update.js';
import { currentEngine } from './sync/index.js';

// The browser tests reach the update gate and the signed-in user's sync engine here (and a person
// can, from the console: `await kaari.engine().query('attendance')`).
window.kaari = Object.freeze({ activateUpdateIfIdle, setIdleCheck, updateWaiting, engine: currentEngine });

registerServiceWorker().catch((error) => {
  // The app works online without a worker; say why it will not work offline.
  console.warn('Kaari: the service worker could not be registered', error);
});
