// The newlib system calls a bare-metal board needs: the heap (_sbrk, bounded by the stack's limit)
// and console output. Everything else reports "not supported".
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

extern char __heap_start, __heap_end;
static char *heap_top = &__heap_start;
char *heap_peak = &__heap_start;

void console_write(const char *s, unsigned n);

void *_sbrk(ptrdiff_t incr) {
  if (heap_top + incr > &__heap_end) { errno = ENOMEM; return (void *)-1; }
  char *prev = heap_top;
  heap_top += incr;
  if (heap_top > heap_peak) heap_peak = heap_top;
  return prev;
}

int _write(int fd, const char *buf, int len) { (void)fd; console_write(buf, (unsigned)len); return len; }
int _read(int fd, char *buf, int len) { (void)fd; (void)buf; (void)len; return 0; }
int _close(int fd) { (void)fd; return -1; }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int _fstat(int fd, struct stat *st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int _isatty(int fd) { (void)fd; return 1; }
void _exit(int code) { (void)code; for (;;) {} }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
int _getpid(void) { return 1; }
