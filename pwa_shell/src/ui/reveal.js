// The row a link or a notification points at (marked with class `highlight`) is scrolled into view once,
// when it is first drawn: a queue or a worklist is often longer than the tablet's screen.
export function revealMarked(host, key) {
  if (!key || host.revealedKey === key) return;
  const row = host.renderRoot.querySelector('tr.highlight');
  if (!row) return;
  host.revealedKey = key;
  row.scrollIntoView({ block: 'center' });
}
