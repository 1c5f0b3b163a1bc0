/* Debian's packaging patch includes this generated header (for the module search path). */
#define DEB_HOST_MULTIARCH "wasm32-wasi"
