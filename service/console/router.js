// Hash routes (#/overview, #/skus ...): the server serves one page.
export function start(root) {
  root.textContent = 'Redress console';
}
