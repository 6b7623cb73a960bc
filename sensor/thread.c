/* Helper threads that leave signal handling to the thread that starts them. */
#include "thread.h"

#include <signal.h>

int thread_start(pthread_t *thread, void *(*start_routine)(void *arg), void *arg)
{
    sigset_t blocked;
    sigset_t old;
    sigfillset(&blocked);
    sigdelset(&blocked, SIGPIPE);
    /* A new thread inherits the creating thread's mask, which is restored at once. */
    pthread_sigmask(SIG_SETMASK, &blocked, &old);
    int err = pthread_create(thread, NULL, start_routine, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}
