/* tsvisor-test: sandbox-only
 * A bounded fork bomb, run by test/shell.test.mjs under `tsvisor do --pids-limit 64`. Every process
 * forks in a loop until fork fails; every child does the same. When fork fails each process records
 * why (EAGAIN is what a pids limit gives), then waits for the release and reaps its own children, so
 * the whole tree unwinds and nothing is left behind.
 *
 * Safety: the program stops forking by itself at HARD_CAP processes in total, so if the sandbox's
 * limit did not work it reports "hard cap reached" instead of exhausting the host. Natively it is
 * meant to be run only under a pids cgroup (or not at all). Counters live in a MAP_SHARED page.
 * Output: counts as relations (the exact number of processes depends on what else the limit
 * counts), then "done". Optional argv[1]: a different hard cap; anything else is ignored (the test
 * passes a unique tag to find leftovers on the host). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shared {
  atomic_int pending;    /* processes (and fork attempts) not yet finished forking */
  atomic_int created;    /* successful forks */
  atomic_int eagain;     /* processes whose last fork failed with EAGAIN */
  atomic_int other_err;  /* ... with something else */
  atomic_int capped;     /* processes that stopped because of the hard cap */
  atomic_int release;    /* set by the top process once everyone has finished forking */
  atomic_int reaped;     /* children reaped, summed over all processes */
  atomic_int reap_errors;
  atomic_int slots;      /* processes that exist or are being forked (the hard cap's count) */
  int other_errno;
};
static struct shared *S;
static int hard_cap = 400;

static void sleep_ms(int ms) {
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep(&ts, NULL);
}

/* The life of every process in the tree, the top one included. */
static void bomb(void) {
  int is_top = 1;
  for (;;) {
    if (atomic_fetch_add(&S->slots, 1) + 1 > hard_cap) {
      atomic_fetch_sub(&S->slots, 1);
      atomic_fetch_add(&S->capped, 1);
      break;
    }
    atomic_fetch_add(&S->pending, 1); /* for the child this fork may create */
    pid_t p = fork();
    if (p == 0) {
      /* the child: counted in pending by its parent already; fork on */
      is_top = 0;
      continue;
    }
    if (p > 0) {
      atomic_fetch_add(&S->created, 1);
      continue;
    }
    int e = errno;
    atomic_fetch_sub(&S->pending, 1); /* no child after all */
    atomic_fetch_sub(&S->slots, 1);
    if (e == EAGAIN) atomic_fetch_add(&S->eagain, 1);
    else {
      atomic_fetch_add(&S->other_err, 1);
      S->other_errno = e;
    }
    break;
  }
  atomic_fetch_sub(&S->pending, 1); /* this process has finished forking */
  if (is_top) return;
  /* wait for the release, then reap our own children and go */
  while (!atomic_load(&S->release)) sleep_ms(5);
  for (;;) {
    int st;
    pid_t r = wait(&st);
    if (r > 0) { atomic_fetch_add(&S->reaped, 1); continue; }
    if (errno == EINTR) continue;
    if (errno != ECHILD) atomic_fetch_add(&S->reap_errors, 1);
    break;
  }
  _exit(0);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1 && atoi(argv[1]) > 0) hard_cap = atoi(argv[1]);
  S = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (S == MAP_FAILED) { perror("mmap"); return 1; }
  atomic_store(&S->pending, 1); /* the top process */
  atomic_store(&S->slots, 1);
  printf("starting (hard cap %d)\n", hard_cap);
  bomb();
  /* everyone has finished forking once pending drops to 0 (bounded wait: 60 s) */
  int waited = 0;
  while (atomic_load(&S->pending) > 0 && waited < 60000) { sleep_ms(10); waited += 10; }
  int created = atomic_load(&S->created);
  printf("all processes finished forking: %d\n", atomic_load(&S->pending) == 0);
  printf("processes created: %d\n", created);
  printf("fork failed with EAGAIN: %d\n", atomic_load(&S->eagain) > 0);
  printf("every process saw EAGAIN: %d\n", atomic_load(&S->eagain) == created + 1);
  printf("other fork errors: %d%s%s\n", atomic_load(&S->other_err), atomic_load(&S->other_err) ? " last " : "",
         atomic_load(&S->other_err) ? strerror(S->other_errno) : "");
  printf("hard cap reached: %d\n", atomic_load(&S->capped) > 0);
  atomic_store(&S->release, 1);
  for (;;) {
    int st;
    pid_t r = wait(&st);
    if (r > 0) { atomic_fetch_add(&S->reaped, 1); continue; }
    if (errno == EINTR) continue;
    if (errno != ECHILD) atomic_fetch_add(&S->reap_errors, 1);
    break;
  }
  printf("all reaped: %d\n", atomic_load(&S->reaped) == created && atomic_load(&S->reap_errors) == 0);
  /* the limit is free again: one more fork works */
  pid_t p = fork();
  if (p == 0) _exit(7);
  int st = 0;
  printf("fork after the bomb: %s\n", p > 0 && waitpid(p, &st, 0) == p && WEXITSTATUS(st) == 7 ? "ok" : strerror(errno));
  printf("done\n");
  return 0;
}
