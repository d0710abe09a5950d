/**
 * SVG → PNG through resvg with the DejaVu Sans files shipped in node_modules, so the
 * picture is the same on every machine and text never silently disappears (resvg drops
 * text it has no font for).
 */
import type { Resvg as ResvgType } from "@resvg/resvg-js";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

let fonts: string[] | null = null;
/** Paths of the bundled fonts (regular and bold). */
export function fontFiles(): string[] {
  if (!fonts) {
    const dir = join(dirname(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json")), "ttf");
    fonts = [join(dir, "DejaVuSans.ttf"), join(dir, "DejaVuSans-Bold.ttf")];
  }
  return fonts;
}

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG unit. Default 2 (crisp on high-density screens, still small files). */
  scale?: number;
}

/** Rasterise an SVG string (it must carry xmlns, as plotSvg's output does). */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  // Loaded on first use: commands that print text need no native module.
  const { Resvg } = createRequire(import.meta.url)("@resvg/resvg-js") as { Resvg: typeof ResvgType };
  const r = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: options.scale ?? 2 },
    font: {
      loadSystemFonts: false,
      fontFiles: fontFiles(),
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return r.render().asPng();
}
