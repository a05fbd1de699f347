// Shows every <time datetime> in the rep's own time zone. The page reads
// fine without it (times are printed in UTC).
for (const el of document.querySelectorAll('time[datetime]')) {
  const at = new Date(el.getAttribute('datetime'));
  if (!Number.isNaN(at.getTime())) {
    el.textContent = at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    el.title = el.getAttribute('datetime');
  }
}

// "Until tomorrow" on the settings page ends at 8:00 the rep's time: the
// server needs this zone's offset from UTC (without it, UTC's 8:00).
for (const el of document.querySelectorAll('input[name="utc_offset_minutes"]')) {
  el.value = String(-new Date().getTimezoneOffset());
}
