// Every work screen's module; each one defines its element and calls addScreen() (../screens.js).
import './kaari-ohjaaja.js';
