// lbctl admin: the little JavaScript the pages need (no inline scripts: CSP forbids them).
"use strict";
