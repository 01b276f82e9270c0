// Every work screen's module; each one defines its element and calls addScreen() (../screens.js).
import './kaari-notifications.js';
import './kaari-ohjaaja.js';
import './kotas/kaari-kotas.js';
import './admin/kaari-admin.js';
import './seuranta/kaari-seuranta.js';
import './unit/kaari-paiva.js';
import './unit/kaari-hoiva.js';
import './ohjaus/kaari-ohjaus.js';
