/**
 * Notebooks: display helpers for the tslab kernel, and headless parameterised reruns.
 * Nothing here needs a kernel to load; inside one, `show()` sends MIME bundles to the cell.
 */

// Displaying figures, tables and run results in a cell
export {
  figure,
  renderPlotSvg,
  show,
  showHtml,
  showMarkdown,
  showPng,
  showRun,
  showTable,
  toBundle,
  inTslabKernel,
  type Showable,
} from "./display.js";
export {
  SvgFigure,
  Html,
  JUPYTER_DISPLAY,
  Markdown,
  PngImage,
  RunView,
  DataTable,
  isDisplayable,
  svgToPngBytes,
  withXmlns,
  type Displayable,
  type DataTableCell,
  type DataTableOptions,
} from "./mime.js";
export { emitBundle, newDisplayId, type MimeBundle } from "./kernel.js";
// Live progress for sweeps
export { progressDisplay, type ProgressDisplay, type ProgressEvent, type ProgressOptions } from "./progress.js";
// The notebook file format
export {
  NotebookInputError,
  cellSource,
  outputMimeTypes,
  parseNotebook,
  readNotebook,
  type Notebook,
  type NotebookCell,
  type NotebookOutput,
} from "./ipynb.js";
// Parameters (papermill's convention, TypeScript declarations)
export {
  INJECTED_TAG,
  PARAMETERS_TAG,
  checkOverrides,
  describeType,
  findParametersCell,
  injectParameters,
  injectedSource,
  notebookParameters,
  parseLiteral,
  parsePairs,
  parseParametersSource,
  parseTypeAnnotation,
  valueFromText,
  valueHasType,
  literalSource,
  parameterUses,
  runParameterFor,
  type NotebookParameter,
  type ParamType,
  type ParameterOverrides,
  type ParameterUse,
} from "./parameters.js";
// Headless runs through nbclient
export {
  JUPYTER_DIR,
  NOTEBOOKS_DIR,
  PROJECT_ROOT,
  RUNNER_SCRIPT,
  SETUP_HINT,
  NotebookEnvironmentError,
  MAX_NOTEBOOK_SECONDS,
  checkNotebookSeconds,
  checkOutPath,
  defaultOutPath,
  findPython,
  jupyterEnv,
  listNotebooks,
  prepareNotebook,
  resolveNotebook,
  runNotebook,
  type NotebookRunResult,
  type RunNotebookOptions,
} from "./runner.js";
