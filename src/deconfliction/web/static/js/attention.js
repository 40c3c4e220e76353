// What makes an urgent item command attention: a tone (WebAudio, no file; can be muted), a desktop
// notification (when the user allowed them), the count of what is owed in the tab's title, and an
// announcement in an ARIA live region for screen readers. Each new item is announced once.

const MUTED = "deconfliction.muted";
const TITLE = "deconfliction console";

let audio = null;
const announced = new Set();

export const muted = () => localStorage.getItem(MUTED) === "1";

export function setMuted(value) {
  localStorage.setItem(MUTED, value ? "1" : "0");
  document.dispatchEvent(new CustomEvent("mute-changed"));
}

/** Three short rising tones: an alert, not a notification chime. Silent until the page was interacted
 *  with (browsers' autoplay rule) or when muted. Returns whether it played. */
export function tone() {
  if (muted()) return false;
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const start = audio.currentTime;
    [880, 988, 1175].forEach((frequency, i) => {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      const at = start + i * 0.18;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.16);
    });
    window.__tones = (window.__tones ?? 0) + 1; // the browser tests count what played
    return true;
  } catch (error) {
    console.warn("tone:", error);
    return false;
  }
}

/** Desktop notifications, when the user allows them (asked only on their click: browsers require it). */
export async function enableNotifications() {
  if (!("Notification" in window)) return "unsupported";
  return Notification.permission === "default" ? Notification.requestPermission() : Notification.permission;
}

function notify(title, body, tag) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    new Notification(title, { body, tag, requireInteraction: true });
  } catch (error) {
    console.warn("notification:", error); // some platforms allow notifications from service workers only
  }
}

/** Tell a person about an urgent item once (by `key`): tone, desktop notification, live region. */
export function urgent(key, title, body) {
  if (announced.has(key)) return false;
  announced.add(key);
  tone();
  notify(title, body, key);
  announce(`${title}: ${body}`);
  return true;
}

/** Mark an item as already known (shown when the console loaded): it will not be announced. */
export function seen(key) {
  announced.add(key);
}

export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A change after a tick is what screen readers pick up reliably.
  setTimeout(() => { region.textContent = text; }, 50);
}

/** "(3) deconfliction console": what is owed, visible from another tab. */
export function setUnread(count) {
  document.title = count ? `(${count}) ${TITLE}` : TITLE;
}
