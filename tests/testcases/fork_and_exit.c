/* Testcase: leaves children behind and exits 0 with a valid answer.
 * One child stays in the process group, one escapes with setsid(), and one
 * is a daemon made by a double fork. All hold stdout open. Expected: the
 * call returns ok, and none of them survives the call. argv[1] is a marker
 * the test searches for in /proc to count survivors. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void linger(void) {
  for (;;) sleep(1);
}

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  if (fork() == 0) linger(); /* plain child */
  if (fork() == 0) {         /* escapes the process group */
    setsid();
    linger();
  }
  if (fork() == 0) { /* classic daemon: double fork */
    setsid();
    if (fork() == 0) linger();
    _exit(0);
  }
  printf("{\"forked\": 3}\n");
  fflush(stdout);
  return 0;
}
