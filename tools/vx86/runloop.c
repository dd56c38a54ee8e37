/* The two threads of a running vx86: the vCPU thread runs the engine and
 * handles resets, the main thread sleeps until the next timer deadline,
 * console input or display frame and services them under the machine lock. */
#include "tools/vx86/runloop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cpu/engine.h"
#include "hw/chardev.h"
#include "hw/machine.h"
#include "hw/pc.h"
#include "tools/vx86/terminal.h"

static int wakeup_fd = -1;
static volatile sig_atomic_t terminating_signal;

static void runloop_wake(void *opaque)
{
    (void)opaque;
    uint64_t one = 1;
    if (write(wakeup_fd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: the loop is already awake */
    }
}

static void runloop_on_signal(int sig)
{
    terminating_signal = sig;
    uint64_t one = 1;
    if (write(wakeup_fd, &one, sizeof(one)) < 0) {
        /* nothing more can be done in a signal handler */
    }
}

static int64_t runloop_host_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vcpu_thread_args {
    struct machine *m;
    const struct runloop_config *cfg;
};

static void *runloop_vcpu_thread(void *opaque)
{
    struct vcpu_thread_args *a = opaque;
    struct machine *m = a->m;
    char err[256];
    pthread_mutex_lock(&m->lock);
    for (;;) {
        enum engine_exit r = m->engine->run(m->engine_state);
        if (r == ENGINE_EXIT_SHUTDOWN || atomic_load(&m->shutdown_requested))
            break;
        if (r == ENGINE_EXIT_ERROR) {
            machine_request_shutdown(m, 1);
            break;
        }
        if (r == ENGINE_EXIT_RESET || atomic_load(&m->reset_requested)) {
            atomic_store(&m->reset_requested, 0);
            if (a->cfg->no_reboot) {
                machine_request_shutdown(m, 0);
                break;
            }
            if (pc_reset(m, err, sizeof(err)) < 0 ||
                m->engine->put_cpu(m->engine_state, &m->cpu) < 0) {
                fprintf(stderr, "vx86: reset failed: %s\n", err);
                machine_request_shutdown(m, 1);
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    runloop_wake(NULL);
    return NULL;
}

static void runloop_read_console(struct machine *m, struct chardev *c,
                                 struct terminal_escape *esc, bool *input_open)
{
    uint8_t buf[256];
    ssize_t n = read(c->in_fd, buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            *input_open = false; /* end of input: the guest keeps running */
        return;
    }
    bool quit = false;
    size_t keep = terminal_filter_input(esc, buf, (size_t)n, &quit);
    pthread_mutex_lock(&m->lock);
    chardev_feed(c, buf, keep);
    pthread_mutex_unlock(&m->lock);
    if (quit) {
        fprintf(stderr, "\r\nvx86: quit from the console\r\n");
        machine_request_shutdown(m, 0);
    }
}

int runloop_run(struct machine *m, const struct runloop_config *cfg)
{
    wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeup_fd < 0) {
        fprintf(stderr, "vx86: eventfd: %s\n", strerror(errno));
        return 1;
    }
    m->clock.deadline_changed = runloop_wake;
    m->clock.deadline_opaque = NULL;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = runloop_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct chardev *console = cfg->console;
    bool input_open = console && console->in_fd >= 0;
    if (input_open && console->in_fd == STDIN_FILENO)
        terminal_enter_raw();
    struct terminal_escape esc = { false };

    struct vcpu_thread_args args = { m, cfg };
    pthread_t vcpu;
    if (pthread_create(&vcpu, NULL, runloop_vcpu_thread, &args) != 0) {
        fprintf(stderr, "vx86: cannot start the vCPU thread\n");
        return 1;
    }

    const struct runloop_display *display = cfg->display;
    int64_t next_frame = runloop_host_ms();
    while (!atomic_load(&m->shutdown_requested)) {
        pthread_mutex_lock(&m->lock);
        vclock_run_timers(&m->clock);
        if (console)
            chardev_push_pending(console);
        uint64_t deadline = vclock_next_deadline(&m->clock);
        uint64_t now = vclock_now(&m->clock);
        bool input_waiting = console && console->pending_len;
        pthread_mutex_unlock(&m->lock);

        int timeout_ms = -1;
        if (deadline != VCLOCK_NEVER)
            timeout_ms = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
        if (input_waiting && (timeout_ms < 0 || timeout_ms > 5))
            timeout_ms = 5; /* the guest has not taken all typed input yet */
        if (display) {
            int64_t until_frame = next_frame - runloop_host_ms();
            if (until_frame < 0)
                until_frame = 0;
            if (timeout_ms < 0 || timeout_ms > until_frame)
                timeout_ms = (int)until_frame;
        }

        struct pollfd fds[2] = {
            { .fd = wakeup_fd, .events = POLLIN },
            { .fd = input_open && !input_waiting ? console->in_fd : -1, .events = POLLIN },
        };
        int r = poll(fds, 2, timeout_ms);
        if (terminating_signal) {
            fprintf(stderr, "\r\nvx86: terminating on signal %d\r\n", (int)terminating_signal);
            machine_request_shutdown(m, 128 + terminating_signal);
            break;
        }
        if (display) {
            int64_t now_ms = runloop_host_ms();
            if (now_ms >= next_frame) {
                display->refresh(display->opaque);
                next_frame += RUNLOOP_DISPLAY_PERIOD_MS;
                if (next_frame <= now_ms) /* fell behind: no burst of frames */
                    next_frame = now_ms + RUNLOOP_DISPLAY_PERIOD_MS;
            }
        }
        if (r <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            uint64_t v;
            if (read(wakeup_fd, &v, sizeof(v)) < 0) {
                /* spurious wakeup: nothing to drain */
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
            runloop_read_console(m, console, &esc, &input_open);
    }
    machine_request_shutdown(m, 0); /* a no-op unless we left for a signal */
    pthread_join(vcpu, NULL);
    terminal_restore();
    return atomic_load(&m->exit_status);
}
