// Starts the GOV.UK Frontend components (Exit this page, error summary focus, and the rest).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
