/* Helper threads that leave signal handling to the thread that starts them. */
#ifndef WA_THREAD_H
#define WA_THREAD_H

#include <pthread.h>

/*
 * Starts a thread running start_routine(arg) with every signal blocked but
 * SIGPIPE, so SIGINT, SIGTERM and SIGUSR1 reach the main thread's handlers.
 * SIGPIPE stays open because a write to a closed pipe raises it in the
 * writing thread, and it must end the run there as it would with one thread.
 * Returns 0 or the error number of pthread_create().
 */
int thread_start(pthread_t *thread, void *(*start_routine)(void *arg), void *arg);

#endif
