/* Testcase: writes part of its answer, closes stdout, keeps running a
 * little, then exits 0. Expected: ok, with the text written before the
 * close (not JSON, so it comes back as text). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("{\"partial\": ");
  fflush(stdout);
  close(1);
  usleep(200 * 1000);
  return 0;
}
