// Dark mode for night shifts: the system's preference (prefers-color-scheme) unless the person chose
// otherwise with the toggle (kept in localStorage). console.css holds both palettes.

const KEY = "deconfliction.theme";
const ORDER = ["auto", "dark", "light"];

export const chosen = () => localStorage.getItem(KEY) ?? "auto";

export function dark() {
  const theme = chosen();
  return theme === "dark" || (theme === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
}

export function apply(button) {
  const theme = chosen();
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  if (button) {
    button.textContent = `Theme: ${theme}`;
    button.setAttribute("aria-label", `colour theme: ${theme} (${dark() ? "dark" : "light"} now); change`);
  }
}

export function toggle(button) {
  localStorage.setItem(KEY, ORDER[(ORDER.indexOf(chosen()) + 1) % ORDER.length]);
  apply(button);
}
