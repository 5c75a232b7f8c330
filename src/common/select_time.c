/* Time values in a selection (lv_time since "1 week ago"), as lvm2 2.03.16
 * reads them; select.c calls these for a field of type time.
 *
 *   select_time_fuzzy():     lvm2's own words (lib/report/report.c,
 *                            _lv_time_handler): "yesterday", "noon",
 *                            "2 hours ago", "Dec 1", "9:15 AM yesterday",
 *                            a weekday...; always a span [t1, t2].
 *   select_time_formatted(): libdm's _parse_formatted_date_time:
 *                            "YYYY-MM-DD HH:MM:SS +HH:MM", each part
 *                            shortened from the right (YYYY-MM, YYYY,
 *                            YYYYMMDD, HH:MM, HHMM, HH; the zone optional):
 *                            the span the least given unit covers.
 *
 * The fuzzy reader runs first and declines, silently, text made only of
 * digits and "-:+" (the formatted form).  Times are local (TZ), as in
 * lvm2.  Two slips of lvm2's are not copied: the end of a day span is
 * found with the right month's length (lvm2 looks at the month before,
 * and past its table in January), and February's length is that of the
 * year given.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/select_internal.h"

#define SECS_PER_MINUTE 60
#define SECS_PER_HOUR 3600
#define SECS_PER_DAY 86400
#define MAX_ITEMS 64
#define MAX_NUMBER 1000000000L /* a count of units or a year: no sum overflows */

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static bool is_leap_year(long year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* @month 1-12 of @year (AD) */
static int days_in_month(long month, long year)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 31;
	return days[month - 1] + (month == 2 && is_leap_year(year));
}

static void say(char *why, size_t n, const char *msg, const char *at, size_t len)
{
	if (at)
		snprintf(why, n, "%s at \"%.*s\".", msg, (int)len, at);
	else
		snprintf(why, n, "%s", msg);
}

/* ---- lvm2's words -------------------------------------------------- */

enum tid {
	T_NULL,
	T_NUM,
	T_STR,
	T_NUM_MULTIPLIER,
	T_NUM_MULTIPLIER_NEGATIVE,
	T_NUM_DAY,
	T_NUM_YEAR,
	T_FRAME_AGO,
	T_TODAY,
	T_YESTERDAY,
	T_SUNDAY, /* the weekdays in order, T_SUNDAY + tm_wday */
	T_MONDAY,
	T_TUESDAY,
	T_WEDNESDAY,
	T_THURSDAY,
	T_FRIDAY,
	T_SATURDAY,
	T_NOON,
	T_MIDNIGHT,
	T_UNIT_SECOND, /* the units, lvm2's order (granularity compares by it) */
	T_UNIT_SECOND_REL,
	T_UNIT_MINUTE,
	T_UNIT_MINUTE_REL,
	T_UNIT_HOUR,
	T_UNIT_HOUR_REL,
	T_UNIT_AM,
	T_UNIT_PM,
	T_UNIT_DAY,
	T_UNIT_WEEK,
	T_UNIT_MONTH,
	T_UNIT_YEAR,
	T_UNIT_TZ_MINUTE,
	T_UNIT_TZ_HOUR,
	T_UNIT_END,
	T_JANUARY, /* the months in order */
	T_DECEMBER = T_JANUARY + 11,
};

#define P_DATE 1u
#define P_TIME 2u
#define P_ABS 4u
#define P_REL 8u

struct tprop {
	unsigned flags;
	enum tid gran; /* T_NULL: none */
};

static struct tprop prop_of(enum tid id)
{
	if (id >= T_SUNDAY && id <= T_SATURDAY)
		return (struct tprop){ P_DATE | P_ABS, T_UNIT_DAY };
	if (id >= T_JANUARY && id <= T_DECEMBER)
		return (struct tprop){ P_DATE | P_ABS, T_UNIT_MONTH };
	switch (id) {
	case T_NUM_DAY:
	case T_TODAY:
	case T_YESTERDAY:
		return (struct tprop){ P_DATE | P_ABS, T_UNIT_DAY };
	case T_NUM_YEAR:
		return (struct tprop){ P_DATE | P_ABS, T_UNIT_YEAR };
	case T_FRAME_AGO:
		return (struct tprop){ P_DATE | P_TIME | P_REL, T_NULL };
	case T_NOON:
	case T_MIDNIGHT:
	case T_UNIT_SECOND:
		return (struct tprop){ P_TIME | P_ABS, T_UNIT_SECOND };
	case T_UNIT_SECOND_REL:
		return (struct tprop){ P_TIME | P_REL, T_UNIT_SECOND };
	case T_UNIT_MINUTE:
		return (struct tprop){ P_TIME | P_ABS, T_UNIT_MINUTE };
	case T_UNIT_MINUTE_REL:
		return (struct tprop){ P_TIME | P_REL, T_UNIT_MINUTE };
	case T_UNIT_HOUR:
	case T_UNIT_AM:
	case T_UNIT_PM:
		return (struct tprop){ P_TIME | P_ABS, T_UNIT_HOUR };
	case T_UNIT_HOUR_REL:
		return (struct tprop){ P_TIME | P_REL, T_UNIT_HOUR };
	case T_UNIT_DAY:
	case T_UNIT_WEEK:
	case T_UNIT_MONTH:
	case T_UNIT_YEAR:
		return (struct tprop){ P_DATE | P_REL, id };
	case T_UNIT_TZ_MINUTE:
	case T_UNIT_TZ_HOUR:
		return (struct tprop){ P_TIME | P_ABS, T_NULL };
	default:
		return (struct tprop){ 0, T_NULL };
	}
}

#define PLURAL 1u /* also with an "s" */

static const struct {
	const char *name;
	enum tid id;
	unsigned flags;
} words[] = {
	{ "ago", T_FRAME_AGO, 0 },
	{ "today", T_TODAY, 0 },
	{ "yesterday", T_YESTERDAY, 0 },
	{ "Sunday", T_SUNDAY, PLURAL },
	{ "Sun", T_SUNDAY, 0 },
	{ "Monday", T_MONDAY, PLURAL },
	{ "Mon", T_MONDAY, 0 },
	{ "Tuesday", T_TUESDAY, PLURAL },
	{ "Tue", T_TUESDAY, 0 },
	{ "Wednesday", T_WEDNESDAY, PLURAL },
	{ "Wed", T_WEDNESDAY, 0 },
	{ "Thursday", T_THURSDAY, PLURAL },
	{ "Thu", T_THURSDAY, 0 },
	{ "Friday", T_FRIDAY, PLURAL },
	{ "Fri", T_FRIDAY, 0 },
	{ "Saturday", T_SATURDAY, PLURAL },
	{ "Sat", T_SATURDAY, 0 },
	{ "noon", T_NOON, PLURAL },
	{ "midnight", T_MIDNIGHT, PLURAL },
	{ "second", T_UNIT_SECOND, PLURAL },
	{ "sec", T_UNIT_SECOND, PLURAL },
	{ "s", T_UNIT_SECOND, 0 },
	{ "minute", T_UNIT_MINUTE, PLURAL },
	{ "min", T_UNIT_MINUTE, PLURAL },
	{ "m", T_UNIT_MINUTE, 0 },
	{ "hour", T_UNIT_HOUR, PLURAL },
	{ "hr", T_UNIT_HOUR, PLURAL },
	{ "h", T_UNIT_HOUR, 0 },
	{ "AM", T_UNIT_AM, 0 },
	{ "PM", T_UNIT_PM, 0 },
	{ "day", T_UNIT_DAY, PLURAL },
	{ "week", T_UNIT_WEEK, PLURAL },
	{ "month", T_UNIT_MONTH, PLURAL },
	{ "year", T_UNIT_YEAR, PLURAL },
	{ "yr", T_UNIT_YEAR, PLURAL },
	{ "January", T_JANUARY, 0 },
	{ "Jan", T_JANUARY, 0 },
	{ "February", T_JANUARY + 1, 0 },
	{ "Feb", T_JANUARY + 1, 0 },
	{ "March", T_JANUARY + 2, 0 },
	{ "Mar", T_JANUARY + 2, 0 },
	{ "April", T_JANUARY + 3, 0 },
	{ "Apr", T_JANUARY + 3, 0 },
	{ "May", T_JANUARY + 4, 0 },
	{ "June", T_JANUARY + 5, 0 },
	{ "Jun", T_JANUARY + 5, 0 },
	{ "July", T_JANUARY + 6, 0 },
	{ "Jul", T_JANUARY + 6, 0 },
	{ "August", T_JANUARY + 7, 0 },
	{ "Aug", T_JANUARY + 7, 0 },
	{ "September", T_JANUARY + 8, 0 },
	{ "Sep", T_JANUARY + 8, 0 },
	{ "October", T_JANUARY + 9, 0 },
	{ "Oct", T_JANUARY + 9, 0 },
	{ "November", T_JANUARY + 10, 0 },
	{ "Nov", T_JANUARY + 10, 0 },
	{ "December", T_DECEMBER, 0 },
	{ "Dec", T_DECEMBER, 0 },
};

struct titem {
	enum tid id;
	const char *s;
	size_t len;
};

struct tinfo {
	struct titem it[MAX_ITEMS];
	unsigned n;
	enum tid min_abs_date, max_abs_date, min_abs_time, min_rel_time; /* granularities */
};

static bool is_unit(enum tid id)
{
	return id >= T_UNIT_SECOND && id < T_UNIT_END;
}

static bool is_month(enum tid id)
{
	return id >= T_JANUARY && id <= T_DECEMBER;
}

static bool is_label_date(enum tid id)
{
	return id == T_TODAY || id == T_YESTERDAY || (id >= T_SUNDAY && id <= T_SATURDAY);
}

/* An item ends at a blank; a number also where its digits end
 * ("12hours" is "12 hours"). */
static const char *item_end(const char *s)
{
	bool num = isdigit((unsigned char)*s);

	while (*s && !isspace((unsigned char)*s) && (!num || isdigit((unsigned char)*s)))
		s++;
	return s;
}

static bool add(struct tinfo *x, enum tid id, const char *s, size_t len)
{
	if (x->n == MAX_ITEMS)
		return false;
	x->it[x->n++] = (struct titem){ id, s, len };
	return true;
}

/* _get_time(): HH:MM[:SS], or a zone's [+-]HH:MM (@tz -1 or 1), each
 * part a multiplier and its unit. */
static bool get_clock(struct tinfo *x, const char **str, int tz)
{
	const char *s = *str, *end = item_end(s);
	bool ok = false;

	if (!add(x, tz == -1 ? T_NUM_MULTIPLIER_NEGATIVE : T_NUM_MULTIPLIER, s, (size_t)(end - s)) ||
	    !add(x, tz ? T_UNIT_TZ_HOUR : T_UNIT_HOUR, end, 0) || *end != ':')
		goto out;
	s = end + 1;
	end = item_end(s);
	if (!add(x, tz == -1 ? T_NUM_MULTIPLIER_NEGATIVE : T_NUM_MULTIPLIER, s, (size_t)(end - s)) ||
	    !add(x, tz ? T_UNIT_TZ_MINUTE : T_UNIT_MINUTE, end, 0))
		goto out;
	if (*end != ':') { /* no seconds */
		s = *end ? end + 1 : end;
		ok = true;
		goto out;
	}
	if (tz) /* a zone has no seconds */
		goto out;
	s = end + 1;
	end = item_end(s);
	if (!add(x, T_NUM_MULTIPLIER, s, (size_t)(end - s)) || !add(x, T_UNIT_SECOND, end, 0))
		goto out;
	s = *end ? end + 1 : end;
	ok = true;
out:
	*str = s;
	return ok;
}

/* _preparse_fuzzy_time(): the items; false for what is not lvm2's words
 * (digits and "-:+" only: the formatted form, or nothing it knows). */
static bool preparse(struct tinfo *x, const char *s)
{
	bool fuzzy = false;
	char c;

	s = skip_space(s);
	while ((c = *s)) {
		const char *end = item_end(s);
		enum tid id;

		if (!(isdigit((unsigned char)c) || c == '-' || c == ':' || c == '+'))
			fuzzy = true;
		if (isalpha((unsigned char)c)) {
			id = T_STR;
		} else if (isdigit((unsigned char)c)) {
			if (*end == ':') {
				if (!get_clock(x, &s, 0))
					return false;
				continue;
			}
			id = T_NUM;
		} else if (c == '-' || c == '+') {
			s++;
			if (!get_clock(x, &s, c == '-' ? -1 : 1))
				return false;
			continue;
		} else {
			return false;
		}
		if (!add(x, id, s, (size_t)(end - s)))
			return false;
		s = skip_space(end);
	}
	return fuzzy;
}

static enum tid match_str(struct tinfo *x, unsigned k)
{
	struct titem *ti = &x->it[k];

	ti->id = T_NULL;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t len = strlen(words[i].name);

		if (ti->len != len && !((words[i].flags & PLURAL) && ti->len == len + 1 && ti->s[len] == 's'))
			continue;
		if (!strncasecmp(ti->s, words[i].name, len)) {
			ti->id = words[i].id;
			if (is_unit(ti->id) && k && x->it[k - 1].id == T_NUM)
				x->it[k - 1].id = T_NUM_MULTIPLIER;
			break;
		}
	}
	return ti->id;
}

/* _match_time_num(): a day or a year, by the month next to it. */
static void match_num(struct tinfo *x, unsigned k)
{
	struct titem *ti = &x->it[k], *n = k + 1 < x->n ? &x->it[k + 1] : NULL;
	struct titem *nn = k + 2 < x->n ? &x->it[k + 2] : NULL, *p = k ? &x->it[k - 1] : NULL;

	if (n && is_month(n->id)) {
		if (nn && nn->id == T_NUM) {
			bool day_first = ti->len < nn->len; /* 24 Feb 2015, or 2015 Feb 24 */

			ti->id = day_first ? T_NUM_DAY : T_NUM_YEAR;
			nn->id = day_first ? T_NUM_YEAR : T_NUM_DAY;
		} else {
			ti->id = ti->len <= 2 ? T_NUM_DAY : T_NUM_YEAR;
		}
	} else if (p && is_month(p->id)) {
		ti->id = ti->len <= 2 ? T_NUM_DAY : T_NUM_YEAR;
	} else {
		ti->id = T_NUM_YEAR;
	}
}

static void granularity(struct tinfo *x, enum tid id)
{
	struct tprop p = prop_of(id);

	if (p.gran == T_NULL)
		return;
	if ((p.flags & P_DATE) && (p.flags & P_ABS)) {
		if (p.gran > x->max_abs_date)
			x->max_abs_date = p.gran;
		if (p.gran < x->min_abs_date)
			x->min_abs_date = p.gran;
	} else if ((p.flags & P_ABS) && p.gran < x->min_abs_time) {
		x->min_abs_time = p.gran;
	} else if ((p.flags & P_REL) && p.gran < x->min_rel_time) {
		x->min_rel_time = p.gran;
	}
}

/* _recognize_time_items() */
static int recognize(struct tinfo *x, char *why, size_t n)
{
	for (unsigned k = 0; k < x->n; k++) {
		struct titem *ti = &x->it[k];

		if (ti->id == T_STR && !match_str(x, k)) {
			say(why, n, "Unrecognized string in date/time specification", ti->s, strlen(ti->s));
			return -EINVAL;
		}
		if (ti->id == T_FRAME_AGO) /* what comes before "ago" counts back */
			for (unsigned j = k; j--;) {
				if (x->it[j].id == T_FRAME_AGO)
					break;
				if (x->it[j].id == T_UNIT_SECOND || x->it[j].id == T_UNIT_MINUTE ||
				    x->it[j].id == T_UNIT_HOUR)
					x->it[j].id++; /* the _REL one */
			}
	}
	for (unsigned k = 0; k < x->n; k++) {
		if (x->it[k].id == T_NUM)
			match_num(x, k);
		granularity(x, x->it[k].id);
	}
	return 0;
}

/* _check_time_items() */
static int check(struct tinfo *x, char *why, size_t n)
{
	int date_rel = -1, time_rel = -1;
	bool label_date = false, label_time = false;

	for (unsigned k = 0; k < x->n; k++) {
		const struct titem *ti = &x->it[k];
		struct tprop p = prop_of(ti->id);
		int rel = !!(p.flags & P_REL);

		if (p.flags & P_DATE) {
			if (date_rel < 0) {
				date_rel = rel;
			} else if ((date_rel ^ rel) && x->max_abs_date >= x->min_rel_time) {
				say(why, n, "Mixed absolute and relative date specification found", ti->s, strlen(ti->s));
				return -EINVAL;
			}
			if (label_date) {
				say(why, n, "Ambiguous date specification found", ti->s, strlen(ti->s));
				return -EINVAL;
			}
			label_date = is_label_date(ti->id);
		} else if (p.flags & P_TIME) {
			if (time_rel < 0) {
				time_rel = rel;
			} else if (time_rel ^ rel) {
				say(why, n, "Mixed absolute and relative time specification found", ti->s, strlen(ti->s));
				return -EINVAL;
			}
			if (label_time) {
				say(why, n, "Ambiguous time specification found", ti->s, strlen(ti->s));
				return -EINVAL;
			}
			label_time = ti->id == T_NOON || ti->id == T_MIDNIGHT;
		}
	}
	return 0;
}

/* _adjust_time_for_granularity() and _get_resulting_time_span() */
static void span(const struct tinfo *x, struct tm *tm, time_t back, struct time_span *out)
{
	time_t t1, t2;
	struct tm tmp;

	switch (x->min_abs_date) {
	case T_UNIT_YEAR:
		tm->tm_mon = 0;
		/* fall through */
	case T_UNIT_MONTH:
		tm->tm_mday = 1;
		break;
	default:
		break;
	}
	switch (x->min_abs_time) {
	case T_UNIT_HOUR:
		tm->tm_min = 0;
		/* fall through */
	case T_UNIT_MINUTE:
		tm->tm_sec = 0;
		break;
	case T_UNIT_END:
		if (x->min_rel_time == T_UNIT_END)
			tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
		break;
	default:
		break;
	}
	if (x->min_abs_time == T_UNIT_END && x->min_rel_time >= T_UNIT_DAY && x->min_rel_time <= T_UNIT_YEAR)
		tm->tm_hour = tm->tm_min = tm->tm_sec = 0;

	t1 = mktime(tm) - back;
	t2 = t1;
	if (x->min_abs_time != T_UNIT_END) {
		if (x->min_abs_time == T_UNIT_MINUTE)
			t2 += SECS_PER_MINUTE - 1;
		else if (x->min_abs_time == T_UNIT_HOUR)
			t2 += SECS_PER_HOUR - 1;
	} else if (x->min_rel_time != T_UNIT_END) {
		if (x->min_rel_time == T_UNIT_MINUTE)
			t1 -= SECS_PER_MINUTE + 1;
		else if (x->min_rel_time == T_UNIT_HOUR)
			t1 -= SECS_PER_HOUR + 1;
		else if (x->min_rel_time >= T_UNIT_DAY && x->min_rel_time <= T_UNIT_YEAR)
			t2 += SECS_PER_DAY - 1;
	} else if (x->min_abs_date == T_UNIT_MONTH) {
		t2 += (time_t)SECS_PER_DAY * days_in_month(tm->tm_mon + 1, tm->tm_year + 1900L) - 1;
	} else if (x->min_abs_date != T_UNIT_END) {
		t2 += SECS_PER_DAY - 1;
	}
	/* as lvm2: daylight saving time counted back */
	localtime_r(&t1, &tmp);
	if (tmp.tm_isdst)
		t1 -= SECS_PER_HOUR;
	localtime_r(&t2, &tmp);
	if (tmp.tm_isdst)
		t2 -= SECS_PER_HOUR;
	*out = (struct time_span){ t1, t2, true };
}

/* _translate_time_items() */
static int translate(struct tinfo *x, time_t now, struct time_span *out, char *why, size_t n)
{
	struct tm tm_now, tm;
	long mult = 1, num;
	time_t back = 0; /* how far before the absolute time */

	localtime_r(&now, &tm_now);
	tm = tm_now;
	tm.tm_isdst = 0;
	tm.tm_wday = tm.tm_yday = -1;
	for (unsigned k = 0; k < x->n; k++) {
		enum tid id = x->it[k].id, prev = k ? x->it[k - 1].id : T_NULL;

		switch (id) {
		case T_NUM_MULTIPLIER:
		case T_NUM_MULTIPLIER_NEGATIVE:
		case T_NUM_DAY:
		case T_NUM_YEAR:
			errno = 0;
			num = strtol(x->it[k].s, NULL, 10);
			/* lvm2 takes any long (and overflows in what follows) */
			if (errno || num > MAX_NUMBER) {
				say(why, n, "Invalid time.", NULL, 0);
				return -EINVAL;
			}
			if (id == T_NUM_MULTIPLIER)
				mult = num;
			else if (id == T_NUM_MULTIPLIER_NEGATIVE)
				mult = -num;
			else if (id == T_NUM_DAY)
				tm.tm_mday = (int)num;
			else
				tm.tm_year = (int)(num - 1900);
			break;
		case T_YESTERDAY:
			back += SECS_PER_DAY;
			break;
		case T_NOON:
			tm.tm_hour = 12;
			tm.tm_min = tm.tm_sec = 0;
			break;
		case T_MIDNIGHT:
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
			break;
		case T_UNIT_SECOND:
			tm.tm_sec = (int)mult;
			break;
		case T_UNIT_SECOND_REL:
			back += mult;
			break;
		case T_UNIT_MINUTE:
			tm.tm_min = (int)mult;
			break;
		case T_UNIT_MINUTE_REL:
			back += mult * SECS_PER_MINUTE;
			break;
		case T_UNIT_HOUR:
			tm.tm_hour = (int)mult;
			break;
		case T_UNIT_HOUR_REL:
			back += mult * SECS_PER_HOUR;
			break;
		case T_UNIT_AM:
			if (prev == T_NUM_MULTIPLIER)
				tm.tm_hour = (int)mult;
			break;
		case T_UNIT_PM:
			if (is_unit(prev))
				back -= 12 * SECS_PER_HOUR;
			else if (prev == T_NUM_MULTIPLIER)
				tm.tm_hour = (int)(mult + 12);
			break;
		case T_UNIT_DAY:
			back += mult * SECS_PER_DAY;
			break;
		case T_UNIT_WEEK:
			back += mult * 7 * SECS_PER_DAY;
			break;
		case T_UNIT_MONTH:
			tm.tm_year -= (int)(mult / 12);
			num = mult % 12;
			if (num > tm.tm_mon + 1) {
				tm.tm_year--;
				tm.tm_mon = (int)(12 - num + tm.tm_mon);
			} else {
				tm.tm_mon -= (int)num;
			}
			break;
		case T_UNIT_YEAR:
			tm.tm_year -= (int)mult;
			break;
		default:
			if (id >= T_SUNDAY && id <= T_SATURDAY) { /* the last one, today included */
				num = (long)(id - T_SUNDAY);
				num = tm_now.tm_wday < num ? 7 - num + tm_now.tm_wday : tm_now.tm_wday - num;
				back += num * SECS_PER_DAY;
			} else if (is_month(id)) {
				tm.tm_mon = (int)(id - T_JANUARY);
			}
			break;
		}
	}
	span(x, &tm, back, out);
	return 0;
}

int select_time_fuzzy(const char *s, time_t now, struct time_span *out, char *why, size_t n)
{
	struct tinfo *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	x->min_abs_date = x->min_abs_time = x->min_rel_time = T_UNIT_END;
	x->max_abs_date = T_NULL;
	if (!preparse(x, s))
		r = 0;
	else if (!(r = recognize(x, why, n)) && !(r = check(x, why, n)) && !(r = translate(x, now, out, why, n)))
		r = 1;
	free(x);
	return r;
}

/* ---- libdm's formatted form ---------------------------------------- */

enum range { R_NONE, R_SECOND, R_MINUTE, R_HOUR, R_DAY, R_MONTH, R_YEAR };

/* Up to three numbers joined by @delim; *@len: the length they would
 * have written in full (4 or 2, 2, 2 digits). */
static const char *numbers(const char *s, char delim, unsigned first_width, long n[3], size_t *len)
{
	const char *str = s;
	char *end;
	size_t diff = 0;

	n[1] = n[2] = -1;
	n[0] = strtol(s, &end, 10);
	if (*end == delim) {
		diff += first_width - (size_t)(end - s);
		s = end + 1;
		if (isdigit((unsigned char)*s)) {
			n[1] = strtol(s, &end, 10);
			diff += 2 - (size_t)(end - s);
			if (*end == delim) {
				s = end + 1;
				n[2] = strtol(s, &end, 10);
				diff += 2 - (size_t)(end - s);
			}
		}
	}
	*len = diff + (size_t)(end - str);
	return end;
}

/* libdm's shortened forms of three numbers: the first alone, written in
 * @w, @w + 2 or @w + 4 digits (the others packed in it), or the first two
 * joined; what is left out is @fill.  *@r: @units[0..2] by how many are
 * given, [3] when all three are joined.  false: no such form. */
static bool expand(long n[3], size_t len, size_t w, long fill, const enum range units[4], enum range *r)
{
	if (n[2] != -1) {
		*r = units[3];
	} else if (n[1] == -1 && len == w) {
		*r = units[0];
		n[1] = n[2] = fill;
	} else if (n[1] == -1 && len == w + 2) {
		*r = units[1];
		n[2] = fill;
		n[1] = n[0] % 100;
		n[0] /= 100;
	} else if (n[1] == -1 && len == w + 4) {
		*r = units[2];
		n[2] = n[0] % 100;
		n[1] = n[0] / 100 % 100;
		n[0] /= 10000;
	} else if (n[1] != -1 && len == w + 3) {
		*r = units[1];
		n[2] = fill;
	} else {
		return false;
	}
	return true;
}

/* _get_date() */
static const char *get_date(const char *s, struct tm *tm, enum range *range, char *why, size_t wn)
{
	enum range r = R_NONE;
	long n[3];
	size_t len;
	const char *end;

	if (!isdigit((unsigned char)*s))
		return NULL; /* a year at least */
	static const enum range units[4] = { R_YEAR, R_MONTH, R_DAY, R_DAY };

	end = numbers(s, '-', 4, n, &len);
	if (!expand(n, len, 4, 1, units, &r)) { /* YYYY, YYYYMM, YYYYMMDD, YYYY-MM */
		say(why, wn, "Incorrect date format.", NULL, 0);
		return NULL;
	}
	if (n[1] < 1 || n[1] > 12) {
		say(why, wn, "Specified month out of range.", NULL, 0);
		return NULL;
	}
	if (n[2] < 1 || n[2] > days_in_month(n[1], n[0])) {
		say(why, wn, "Specified day out of range.", NULL, 0);
		return NULL;
	}
	tm->tm_year = (int)(n[0] - 1900);
	tm->tm_mon = (int)(n[1] - 1);
	tm->tm_mday = (int)n[2];
	*range = r;
	return skip_space(end);
}

/* _get_time() of libdm */
static const char *get_time(const char *s, struct tm *tm, enum range *range, char *why, size_t wn)
{
	enum range r = R_NONE;
	long n[3];
	size_t len;
	const char *end;

	if (!isdigit((unsigned char)*s)) { /* the time may be left out */
		tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
		return skip_space(s);
	}
	static const enum range units[4] = { R_HOUR, R_MINUTE, R_SECOND, R_NONE };

	end = numbers(s, ':', 2, n, &len);
	if (!expand(n, len, 2, 0, units, &r)) { /* HH, HHMM, HHMMSS, HH:MM */
		say(why, wn, "Incorrect time format.", NULL, 0);
		return NULL;
	}
	if (n[0] < 0 || n[0] > 23) {
		say(why, wn, "Specified hours out of range.", NULL, 0);
		return NULL;
	}
	if (n[1] < 0 || n[1] > 60) {
		say(why, wn, "Specified minutes out of range.", NULL, 0);
		return NULL;
	}
	if (n[2] < 0 || n[2] > 60) {
		say(why, wn, "Specified seconds out of range.", NULL, 0);
		return NULL;
	}
	if (*range != R_DAY) {
		say(why, wn, "Full date specification needed.", NULL, 0);
		return NULL;
	}
	tm->tm_hour = (int)n[0];
	tm->tm_min = (int)n[1];
	tm->tm_sec = (int)n[2];
	*range = r;
	return skip_space(end);
}

/* _get_tz(): +HH:MM, -HHMM, +HH...; *@offset in seconds east of GMT */
static const char *get_tz(const char *s, bool *given, long *offset)
{
	long n1, n2 = -1, sign = 1, len = 0;
	char *end;

	*given = false;
	*offset = 0;
	if (!isdigit((unsigned char)*s)) {
		if (*s != '+' && *s != '-')
			return skip_space(s);
		sign = *s == '-' ? -1 : 1;
		s++;
	}
	n1 = strtol(s, &end, 10);
	if (*end == ':') {
		len = 2 - (end - s);
		s = end + 1;
		if (isdigit((unsigned char)*s)) {
			n2 = strtol(s, &end, 10);
			len = 2 - (end - s);
		}
	}
	len += end - s;
	if (n2 == -1) {
		if (len == 2) {
			n2 = 0;
		} else if (len == 4) {
			n2 = n1 % 100;
			n1 /= 100;
		} else {
			return NULL;
		}
	}
	if (n2 < 0 || n2 > 60 || n1 < 0 || n1 > 14)
		return NULL;
	*offset = sign * (n1 * 3600 + n2 * 60);
	*given = true;
	return skip_space(end);
}

/* _local_tz_offset() */
static long local_tz_offset(time_t t_local)
{
	struct tm tm_gmt;
	time_t t_gmt;

	gmtime_r(&t_local, &tm_gmt);
	t_gmt = mktime(&tm_gmt);
	if (tm_gmt.tm_isdst)
		t_gmt -= 3600;
	return (long)(t_local - t_gmt);
}

int select_time_formatted(const char *s, struct time_span *out, char *why, size_t n)
{
	enum range range = R_NONE;
	struct tm tm = { .tm_year = -1, .tm_mon = -1, .tm_mday = -1, .tm_hour = -1, .tm_min = -1, .tm_sec = -1,
			 .tm_isdst = -1, .tm_wday = -1, .tm_yday = -1 };
	struct tm up;
	bool tz;
	long offset;

	why[0] = '\0';
	if (!(s = get_date(s, &tm, &range, why, n)) || !(s = get_time(s, &tm, &range, why, n)) ||
	    !(s = get_tz(s, &tz, &offset)) || *s)
		return -EINVAL;
	up = tm;
	switch (range) { /* the end of the span: one unit on, less a second */
	case R_SECOND:
		up.tm_sec++;
		break;
	case R_MINUTE:
		up.tm_min++;
		break;
	case R_HOUR:
		up.tm_hour++;
		break;
	case R_DAY:
		up.tm_mday++;
		break;
	case R_MONTH:
		up.tm_mon++;
		break;
	case R_YEAR:
		up.tm_year++;
		break;
	case R_NONE:
		break;
	}
	out->range = range != R_NONE;
	out->t1 = mktime(&tm);
	out->t2 = mktime(&up) - 1;
	if (tz) { /* the zone given, against the local one */
		offset -= local_tz_offset((time_t)out->t1);
		out->t1 -= offset;
		out->t2 -= offset;
	}
	return 0;
}
