// A scale bar in nautical miles first, kilometres under it (aviation distances are NM; Leaflet's own
// scale knows km and statute miles only). Subclasses Leaflet 1.9's scale control, whose measuring we reuse.

import { NM_M } from "./units.js";

const L = window.L;

export const NauticalScale = L.Control.Scale.extend({
  options: { metric: true, imperial: false, maxWidth: 120 },

  _addScales(options, className, container) {
    this._nmScale = L.DomUtil.create("div", `${className} nm`, container);
    L.Control.Scale.prototype._addScales.call(this, options, className, container);
  },

  _updateScales(maxMeters) {
    L.Control.Scale.prototype._updateScales.call(this, maxMeters);
    const maxNm = maxMeters / NM_M;
    const nm = maxNm >= 1 ? this._getRoundNum(maxNm) : Math.max(0.1, Math.floor(maxNm * 10) / 10);
    this._nmScale.style.width = `${Math.round((this.options.maxWidth * nm) / maxNm)}px`;
    this._nmScale.textContent = `${nm} NM`;
  },
});
