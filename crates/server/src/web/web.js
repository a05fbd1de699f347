// Shows every <time datetime> in the rep's own time zone. The page reads
// fine without it (times are printed in UTC).
for (const el of document.querySelectorAll('time[datetime]')) {
  const at = new Date(el.getAttribute('datetime'));
  if (!Number.isNaN(at.getTime())) {
    el.textContent = at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    el.title = el.getAttribute('datetime');
  }
}
