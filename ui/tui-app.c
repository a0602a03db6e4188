/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-app: the station screen's terminal, loop and redraw.  Curses set-up
 * and idempotent teardown, colours with a monochrome fallback, stderr
 * captured while curses owns the terminal, signals turned into flags, the
 * screen stack, the message line and the key bar.
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"
#include "station.h"

static volatile sig_atomic_t got_term;	/* SIGTERM, SIGHUP: stop jobs and leave */
static volatile sig_atomic_t got_int;	/* SIGINT: ask as 'q' does */

static bool curses_on;
static int saved_stderr = -1;
static int captured_stderr = -1;

/* --- log sink: engine threads log here; the loop shows the last line --- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_line[256];
static bool log_bad;
static bool log_pending;

static void log_sink(enum util_log_level level, const char *msg, void *data)
{
	(void)data;
	pthread_mutex_lock(&log_lock);
	util_strlcpy(log_line, msg, sizeof(log_line));
	log_bad = level <= UTIL_LOG_WARN;
	log_pending = true;
	pthread_mutex_unlock(&log_lock);
	/* also kept in the captured stderr, replayed after the screen closes */
	fprintf(stderr, "custos: %s%s\n", level == UTIL_LOG_ERR ? "error: " :
		level == UTIL_LOG_WARN ? "warning: " : "", msg);
}

static void take_log(struct tui_app *app)
{
	pthread_mutex_lock(&log_lock);
	if (log_pending) {
		util_strlcpy(app->message, log_line, sizeof(app->message));
		app->message_bad = log_bad;
		app->message_new = true;
		app->message_at = util_mono_ns();
		log_pending = false;
	}
	pthread_mutex_unlock(&log_lock);
}

void tui_app_message(struct tui_app *app, bool bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(app->message, sizeof(app->message), fmt, ap);
	va_end(ap);
	app->message_bad = bad;
	app->message_new = true;
	app->message_at = util_mono_ns();
}

/* An error too long for the message line is shown whole in a dialog. */
static unsigned check_message(struct tui_app *app)
{
	if (!app->message_new)
		return 0;
	app->message_new = false;
	if (!app->message_bad || tui_text_width(app->message) < COLS ||
	    app->stack[app->depth - 1] == &tui_screen_notice)
		return 0;
	return tui_app_push(app, &tui_screen_notice, app->message) == 0 ? TUI_REDRAW : 0;
}

/* --- terminal set-up and teardown ------------------------------------- */

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_int = 1;
	else
		got_term = 1;
}

static void curses_end(void);

/* A crash: give the terminal back and show what was written to stderr,
 * then die of the same signal. */
static void on_fatal(int sig)
{
	curses_end();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
}

/* Send fd 2 into a memory file while curses owns the terminal. */
static void capture_stderr(void)
{
	int fd = memfd_create("custos-stderr", MFD_CLOEXEC);

	if (fd < 0)
		return;
	fflush(stderr);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
		if (saved_stderr >= 0)
			util_close(saved_stderr);
		saved_stderr = -1;
		util_close(fd);
		return;
	}
	captured_stderr = fd;
}

/* Put fd 2 back and print what was written to it meanwhile. */
static void replay_stderr(void)
{
	char buf[4096];
	ssize_t k;

	if (saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	util_close(saved_stderr);
	saved_stderr = -1;
	if (lseek(captured_stderr, 0, SEEK_SET) == 0)
		while ((k = read(captured_stderr, buf, sizeof(buf))) > 0)
			if (util_write_all(STDERR_FILENO, buf, (size_t)k) < 0)
				break;
	util_close(captured_stderr);
	captured_stderr = -1;
}

static const struct {
	short fg, bg;
	attr_t colour_attr;
	attr_t mono;
} styles[TUI_STYLE_COUNT] = {
	[TUI_STYLE_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[TUI_STYLE_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[TUI_STYLE_BAR] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[TUI_STYLE_BAR_KEY] = { COLOR_WHITE, COLOR_BLACK, A_BOLD, A_BOLD },
	[TUI_STYLE_SELECTED] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE },
	[TUI_STYLE_GREY] = { COLOR_WHITE, -1, A_DIM, A_DIM },
	[TUI_STYLE_RUNNING] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[TUI_STYLE_GOOD] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[TUI_STYLE_BAD] = { COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[TUI_STYLE_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[TUI_STYLE_HEADER] = { -1, -1, A_BOLD | A_UNDERLINE, A_BOLD | A_UNDERLINE },
	[TUI_STYLE_DIALOG] = { -1, -1, A_NORMAL, A_NORMAL },
	[TUI_STYLE_FIELD] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_UNDERLINE },
};

static void init_colours(struct tui_app *app)
{
	const char *no_colour = getenv("NO_COLOR");

	app->colour = has_colors() && !(no_colour && *no_colour);
	if (!app->colour)
		return;
	start_color();
	use_default_colors();
	for (short i = 1; i < TUI_STYLE_COUNT; i++)
		init_pair(i, styles[i].fg, styles[i].bg);
	/* a darker grey where the terminal has one */
	if (COLORS >= 16)
		init_pair(TUI_STYLE_GREY, 8, -1);
}

attr_t tui_app_attr(const struct tui_app *app, enum tui_style s)
{
	if (!app->colour)
		return styles[s].mono;
	return styles[s].colour_attr | (s ? COLOR_PAIR(s) : 0);
}

static void curses_begin(struct tui_app *app)
{
	static bool registered;

	if (!registered && atexit(curses_end) == 0)
		registered = true;
	capture_stderr();
	initscr();
	curses_on = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(50);
	timeout(TUI_TICK_MS);
	init_colours(app);
}

/* Safe to call more than once and from every exit path. */
static void curses_end(void)
{
	if (curses_on) {
		curses_on = false;
		endwin();
	}
	replay_stderr();
}

/* --- drawing ----------------------------------------------------------- */

void tui_put(struct tui_app *app, WINDOW *win, int y, int x, int cols, enum tui_style style,
	     const char *text)
{
	char buf[2048];

	if (cols <= 0 || y < 0 || y >= getmaxy(win))
		return;
	if (x + cols > getmaxx(win))
		cols = getmaxx(win) - x;
	if (cols <= 0)
		return;
	tui_text_fit(text, cols, true, buf, sizeof(buf));
	wattrset(win, tui_app_attr(app, style));
	mvwaddstr(win, y, x, buf);
	wattrset(win, A_NORMAL);
}

void tui_putf(struct tui_app *app, WINDOW *win, int y, int x, int cols, enum tui_style style,
	      const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tui_put(app, win, y, x, cols, style, buf);
}

WINDOW *tui_dialog_box(struct tui_app *app, WINDOW *win, int rows, int cols, const char *title)
{
	int H = getmaxy(win), W = getmaxx(win), y, x;
	WINDOW *box_win, *inner;

	if (rows > H)
		rows = H;
	if (cols > W)
		cols = W;
	y = (H - rows) / 2;
	x = (W - cols) / 2;
	box_win = derwin(win, rows, cols, y, x);
	if (!box_win)
		return NULL;
	wattrset(box_win, tui_app_attr(app, TUI_STYLE_DIALOG));
	werase(box_win);
	box(box_win, 0, 0);
	if (title) {
		char t[256];

		snprintf(t, sizeof(t), " %s ", title);
		tui_put(app, box_win, 0, 2, tui_text_width(t) < cols - 4 ? tui_text_width(t) :
			cols - 4, TUI_STYLE_HEADER, t);
	}
	delwin(box_win);
	inner = derwin(win, rows - 2, cols - 4, y + 1, x + 2);
	if (inner)
		werase(inner);
	return inner;
}

static void draw_title(struct tui_app *app)
{
	char left[256], right[128], clock[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t running = tui_jobs_running(app);
	int rw;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(left, sizeof(left), " Custos%s%s%s  %s%s", app->station ? " - " : "",
		 app->station ? app->station->name : "", app->demo ? _("  [DEMO]") : "",
		 app->operator_name[0] || tui_people_kept(app) ? _("Operator: ") : "",
		 app->operator_name[0] ? app->operator_name : tui_people_kept(app) ?
		 _("nobody (F9)") : "");
	snprintf(right, sizeof(right), ngettext("%zu job running  %s ", "%zu jobs running  %s ",
						running), running, clock);
	rw = tui_text_width(right);
	tui_put(app, stdscr, 0, 0, COLS, TUI_STYLE_TITLE, left);
	if (COLS - rw > tui_text_width(left))
		tui_put(app, stdscr, 0, COLS - rw, rw, TUI_STYLE_TITLE, right);
}

/* One key of the key bar: "F2/e", or "F2" alone when @compact. */
static void keybar_key(const struct tui_keyhelp *k, bool compact, char *key, size_t len)
{
	if (compact && k->fkey)
		snprintf(key, len, "%s", k->fkey);
	else
		snprintf(key, len, "%s%s%s", k->fkey ? k->fkey : "", k->fkey && k->key ? "/" : "",
			 k->key ? k->key : "");
}

/* The width of the key bar drawn from @keys. */
static int keybar_width(const struct tui_keyhelp *keys, bool compact)
{
	char key[32];
	int w = 0;

	for (const struct tui_keyhelp *k = keys; k && k->label; k++) {
		if (k->help_only)
			continue;
		keybar_key(k, compact, key, sizeof(key));
		w += tui_text_width(key) + tui_text_width(_(k->label)) + 2;
	}
	return w;
}

/* "F2/e Enrol  F3/w Wipe ..." from the top screen's key table; when that
 * does not fit (longer labels in another language), "F2 登记 F3 消除". */
static void draw_keybar(struct tui_app *app)
{
	const struct tui_keyhelp *k = app->stack[app->depth - 1]->keys;
	bool compact = keybar_width(k, false) > COLS + 1;
	int x = 0;

	tui_put(app, stdscr, LINES - 1, 0, COLS, TUI_STYLE_BAR, "");
	for (; k && k->label && x < COLS; k++) {
		char key[32];
		int kw, lw;

		if (k->help_only)
			continue;
		keybar_key(k, compact, key, sizeof(key));
		kw = tui_text_width(key);
		lw = tui_text_width(_(k->label));
		if (x + kw + lw + 1 > COLS)
			break;
		tui_put(app, stdscr, LINES - 1, x, kw, TUI_STYLE_BAR_KEY, key);
		tui_put(app, stdscr, LINES - 1, x + kw, lw + 2, TUI_STYLE_BAR, "");
		tui_put(app, stdscr, LINES - 1, x + kw + 1, lw + 1, TUI_STYLE_BAR, _(k->label));
		x += kw + lw + 2;
	}
}

static void draw_message(struct tui_app *app)
{
	/* plain notes fade after 10 s, errors stay until the next message */
	if (app->message[0] && !app->message_bad &&
	    util_mono_ns() - app->message_at > 10ull * 1000000000ull)
		app->message[0] = '\0';
	tui_put(app, stdscr, LINES - 2, 0, COLS,
		app->message_bad ? TUI_STYLE_BAD : TUI_STYLE_NORMAL, app->message);
}

static void redraw(struct tui_app *app)
{
	WINDOW *body;

	erase();
	draw_title(app);
	if (LINES >= 4) {
		body = derwin(stdscr, LINES - 3, COLS, 1, 0);
		if (body) {
			/* the topmost full screen, then the dialogs above it */
			size_t first = app->depth - 1;

			while (first > 0 && app->stack[first]->dialog)
				first--;
			for (size_t i = first; i < app->depth; i++)
				app->stack[i]->draw(app, body);
			delwin(body);
		}
		draw_message(app);
		draw_keybar(app);
	}
	refresh();
}

/* --- the screen stack -------------------------------------------------- */

int tui_app_push(struct tui_app *app, const struct tui_screen *s, void *arg)
{
	int rc;

	if (app->depth >= UTIL_ARRAY_SIZE(app->stack))
		return -EBUSY;
	for (size_t i = 0; i < app->depth; i++)
		if (app->stack[i] == s)
			return -EBUSY;	/* one instance of each screen */
	if (s->enter) {
		rc = s->enter(app, arg);
		if (rc)
			return rc;
	}
	app->stack[app->depth++] = s;
	return 0;
}

static void pop(struct tui_app *app)
{
	const struct tui_screen *s;

	if (app->depth <= 1)
		return;
	s = app->stack[--app->depth];
	if (s->leave)
		s->leave(app);
}

/* --- quitting ---------------------------------------------------------- */

static unsigned quit_stopping_jobs(struct tui_app *app)
{
	tui_app_message(app, false, _("stopping the running jobs..."));
	redraw(app);
	tui_jobs_stop_all(app, false);
	return TUI_QUIT;
}

static struct tui_confirm quit_question = {
	.title = N_("Quit"),
	.text = N_("Sanitizations are still running.  Stop them now (their outcome will be "
		"\"aborted\", no certificate of erasure) and quit?  A firmware erase "
		"already sent to a drive cannot be stopped: quitting waits for it."),
	.yes = quit_stopping_jobs,
};

/* 'q': leave at once when idle, else ask.  True when the loop may end. */
static bool may_quit(struct tui_app *app)
{
	if (tui_jobs_running(app) == 0)
		return true;
	if (app->stack[app->depth - 1] != &tui_screen_confirm)
		tui_app_push(app, &tui_screen_confirm, &quit_question);
	return false;
}

/* --- keys and ticks ---------------------------------------------------- */

static int read_key(void)
{
	wint_t ch;
	int rc = get_wch(&ch);

	if (rc == ERR)
		return -1;
	if (rc == KEY_CODE_YES)
		return TUI_KEY_FN | (int)ch;
	return (int)ch;
}

/* Keys every screen shares, when the top screen did not use the key. */
static unsigned global_key(struct tui_app *app, int key)
{
	switch (key) {
	case TUI_KEY_FN | KEY_RESIZE:
	case TUI_CTRL('l'):
		clearok(curscr, TRUE);
		return TUI_REDRAW;
	case TUI_FKEY(1):
	case '?':
		return tui_app_push(app, &tui_screen_help, NULL) == 0 ? TUI_REDRAW : TUI_HANDLED;
	case TUI_FKEY(10):
	case 'q':
	case 'Q':
		return TUI_QUIT;
	default:
		return TUI_IGNORED;
	}
}

static unsigned dispatch(struct tui_app *app, int key)
{
	const struct tui_screen *top = app->stack[app->depth - 1];
	unsigned r;

	/* resizing and repainting come before any screen sees the key */
	if (key == (TUI_KEY_FN | KEY_RESIZE) || key == TUI_CTRL('l'))
		return global_key(app, key);
	r = top->key(app, key);
	if (!(r & TUI_HANDLED))
		r |= global_key(app, key);
	if (r & TUI_CLOSE) {
		pop(app);
		r |= TUI_REDRAW;
	}
	return r;
}

static unsigned tick(struct tui_app *app)
{
	const struct tui_screen *top = app->stack[app->depth - 1];
	unsigned r = 0;

	take_log(app);
	if (app->monitor && monitor_changed(app->monitor) > 0)
		r |= TUI_RESCAN;
	if (tui_app_scan_poll(app))
		r |= TUI_REDRAW;
	if (tui_jobs_poll(app))
		r |= TUI_REDRAW;
	if (top->tick) {
		unsigned t = top->tick(app);

		if (t & TUI_CLOSE) {	/* a screen may close itself on its tick */
			pop(app);
			t = (t & ~(unsigned)TUI_CLOSE) | TUI_REDRAW;
		}
		r |= t;
	}
	return r;
}

/* Handle a signal flag; returns reaction flags. */
static unsigned check_signals(struct tui_app *app)
{
	if (got_term) {
		got_term = 0;
		tui_jobs_stop_all(app, true);	/* a shutdown: to be resumed */
		return TUI_QUIT;
	}
	if (got_int) {
		got_int = 0;
		return TUI_QUIT;
	}
	return 0;
}

static void loop(struct tui_app *app)
{
	uint64_t last_tick = 0, last_draw = 0;
	unsigned r = TUI_RESCAN | TUI_REDRAW;

	for (;;) {
		uint64_t now;
		int key;

		r |= check_signals(app);
		r |= check_message(app);
		if ((r & TUI_QUIT) && may_quit(app))
			break;
		if (r & TUI_RESCAN)
			tui_app_rescan(app);
		now = util_mono_ns();
		if (r || now - last_draw > 500000000ull) {
			redraw(app);
			last_draw = now;
		}
		r = 0;
		key = read_key();
		if (key >= 0)
			r |= dispatch(app, key);
		now = util_mono_ns();
		if (now - last_tick >= TUI_TICK_MS * 1000000ull) {
			r |= tick(app);
			last_tick = now;
		}
	}
}

int tui_app_run(struct tui_app *app)
{
	struct monitor_opts mopts = { .virtual_dir = app->virtual_dir };
	char *cause = NULL;

	if (monitor_open(&mopts, &app->monitor, &cause) < 0) {
		cli_warn("%s (the list will not refresh by itself)", cause);
		free(cause);
	}
	install_signals();
	util_log_set_sink(log_sink, app, app->ctx->verbose ? UTIL_LOG_INFO : UTIL_LOG_WARN);
	curses_begin(app);
	app->depth = 0;
	if (tui_app_push(app, &tui_screen_media, NULL) == 0) {
		/* a roster: who is at the station, before anything is done */
		if (tui_people_kept(app))
			tui_people_ask_operator(app);
		loop(app);
	}
	while (app->depth > 0) {
		const struct tui_screen *s = app->stack[--app->depth];

		if (s->leave)
			s->leave(app);
	}
	curses_end();
	monitor_close(app->monitor);
	app->monitor = NULL;
	return 0;
}
