/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fw-job: the bridge between a job (device, profile, monitor, wipe_result)
 * and the firmware layer.
 */
#include "fw-job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "util.h"

enum fw_method fw_job_method(const struct profile *p)
{
	enum fw_method m;

	if (p->method == PROFILE_METHOD_OVERWRITE ||
	    fw_method_parse(profile_method_name(p->method), &m) < 0)
		return FW_METHOD_NONE;
	return m;
}

/* Open the disk for a firmware command: through @anchor (>= 0: the job's,
 * held since its preparation) or, without one, an anchor taken now
 * (device_anchor: the same medium, every guard).  Never by name. */
static int open_disk(const struct device_info *dev, int anchor, bool rw, struct sgio_dev **sdev,
		     char **cause)
{
	int own = -1, rc = 0;

	if (anchor < 0) {
		rc = device_anchor(dev, &own, cause);
		anchor = own;
	}
	if (rc == 0)
		rc = sgio_open_at(anchor, dev->path, rw, dev->diskseq, sdev, cause);
	if (own >= 0 && util_close(own) < 0 && rc == 0) {
		sgio_close(*sdev);
		*sdev = NULL;
		rc = util_fail(cause, -EIO, _("%s: close failed"), dev->path);
	}
	return rc;
}

static int guard(const struct device_info *dev, int anchor, const struct profile *p,
		 const struct fw_opts *o, char **cause)
{
	enum fw_method m = fw_job_method(p);
	struct sgio_dev *sdev = NULL;
	struct fw_caps caps;
	int rc;

	if (p->method == PROFILE_METHOD_OVERWRITE)
		return 0;
	if (m == FW_METHOD_NONE)
		return util_fail(cause, -EOPNOTSUPP, _("not supported: unknown firmware method"));
	if (anchor >= 0)
		rc = sgio_open_at(anchor, dev->path, false, dev->diskseq, &sdev, cause);
	else
		rc = sgio_open(dev->path, false, &sdev, cause);
	if (rc == 0)
		rc = fw_probe_dev(sdev, device_media_kind(dev), &caps, cause);
	if (rc == 0)
		rc = fw_check(&caps, m, o, cause);
	sgio_close(sdev);
	return rc;
}

int fw_job_guard(const struct device_info *dev, const struct profile *p, const struct fw_opts *o,
		 char **cause)
{
	return guard(dev, -1, p, o, cause);
}

int fw_job_guard_at(int anchor, const struct device_info *dev, const struct profile *p,
		    const struct fw_opts *o, char **cause)
{
	return guard(dev, anchor, p, o, cause);
}

/* Publish firmware progress as a one-pass "write" (erase) / "verify" (markers). */
static void on_progress(const struct fw_progress *p, void *data)
{
	struct wipe_monitor *m = data;
	uint64_t done = p->fraction >= 0 ? (uint64_t)(p->fraction * 1000) : 0;

	pthread_mutex_lock(&m->lock);
	m->progress.pass = 1;
	m->progress.n_passes = 1;
	m->progress.phase = strcmp(p->phase, "verify") == 0 ? WIPE_PHASE_VERIFY : WIPE_PHASE_WRITE;
	m->progress.phase_done = done;
	m->progress.phase_total = 1000;
	m->progress.done = done;
	m->progress.total = 1000;
	m->progress.eta_s = p->eta_s ? p->eta_s : UINT64_MAX;
	pthread_mutex_unlock(&m->lock);
}

static void fill_result(const struct fw_result *r, const struct device_info *dev,
			const struct profile *profile, int rc, struct wipe_result *res)
{
	res->outcome = rc == 0 ? WIPE_OUTCOME_ERASED : rc == -ECANCELED ? WIPE_OUTCOME_ABORTED :
		       WIPE_OUTCOME_FAILED;
	util_strlcpy(res->profile, profile->name, sizeof(res->profile));
	util_strlcpy(res->device, dev->path, sizeof(res->device));
	res->size = r->sectors * r->sector_size;
	res->sector_size = r->sector_size;
	res->verify = PROFILE_VERIFY_NONE;
	res->start = r->started;
	res->end = r->finished;
	res->duration = (double)(r->finished - r->started);
	res->first_mismatch = UINT64_MAX;
	res->mismatch_bytes = r->markers.survived * (uint64_t)r->sector_size;
	snprintf(res->cause, sizeof(res->cause), "%s%s%s", r->failure ? r->failure : "",
		 r->recovery ? " " : "", r->recovery ? r->recovery : "");
}

static int run(struct sgio_dev *sdev, const struct device_info *dev,
	       const struct profile *profile, struct wipe_monitor *monitor,
	       struct wipe_result *res, struct fw_job *fj, char **cause)
{
	enum fw_method m = fw_job_method(profile);
	struct fw_result local, *r = fj ? &fj->result : &local;
	struct fw_opts o;
	int rc;

	if (fj)
		o = fj->opts;
	else
		fw_opts_init(&o);
	o.media_kind = device_media_kind(dev);
	o.restore_max = o.restore_max || profile->restore_max;
	o.markers = profile->markers;
	if (!o.n_markers)
		o.n_markers = 16;
	if (m == FW_METHOD_NONE)
		return util_fail(cause, -EOPNOTSUPP, _("not supported: not a firmware method"));
	if (sdev) {
		rc = fw_run_dev(sdev, m, &o, on_progress, monitor, &monitor->cancel, r, cause);
	} else {
		memset(r, 0, sizeof(*r));
		r->requested = m;
		rc = open_disk(dev, fj && fj->anchored ? fj->anchor : -1, true, &sdev, cause);
		if (rc == 0)
			rc = fw_run_dev(sdev, m, &o, on_progress, monitor, &monitor->cancel, r,
					cause);
		else if (cause && *cause)
			r->failure = strdup(*cause);
		sgio_close(sdev);
	}
	if (rc < 0 && !r->touched) {
		if (r == &local)
			fw_result_clear(r);
		return rc;
	}
	fill_result(r, dev, profile, rc, res);
	if (r == &local)
		fw_result_clear(r);
	return 0;
}

int fw_job_run(const struct device_info *dev, const struct profile *profile,
	       struct wipe_monitor *monitor, struct wipe_result *res, void *data, char **cause)
{
	return run(NULL, dev, profile, monitor, res, data, cause);
}

int fw_job_run_dev(struct sgio_dev *sdev, const struct device_info *dev,
		   const struct profile *profile, struct wipe_monitor *monitor,
		   struct wipe_result *res, void *data, char **cause)
{
	return run(sdev, dev, profile, monitor, res, data, cause);
}

/* ---- hidden areas before an overwrite ------------------------------------------------ */

static int blk_size(const char *path, uint64_t *bytes, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, bytes) < 0)
		rc = util_fail(cause, -errno, _("%s: BLKGETSIZE64: %s"), path, strerror(errno));
	if (util_close(fd) < 0 && rc == 0)
		rc = util_fail(cause, -EIO, _("%s: close failed"), path);
	return rc;
}

/* "1" into the rescan file of the SCSI device behind the block device
 * @st (found by its device number, not by a name). */
static int sysfs_rescan(const char *path, const struct stat *st, char **cause)
{
	char sys[128];
	int fd, rc = 0;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/device/rescan", major(st->st_rdev),
		 minor(st->st_rdev));
	fd = open(sys, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return util_fail(cause, -errno, "%s: %s: %s", path, sys, strerror(errno));
	if (write(fd, "1", 1) != 1)
		rc = util_fail(cause, -errno, "%s: %s", sys, strerror(errno));
	if (util_close(fd) < 0 && rc == 0)
		rc = util_fail(cause, -EIO, _("%s: close failed"), sys);
	return rc;
}

int fw_job_rescan(const char *path, uint64_t expect, uint64_t *bytes, void *data, char **cause)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	struct stat st;
	int rc;

	(void)data;
	if (stat(path, &st) < 0)
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return util_fail(cause, -ENOTBLK, _("%s is not a block device"), path);
	rc = sysfs_rescan(path, &st, cause);
	for (int i = 0; rc == 0 && i < 30; i++) {
		rc = blk_size(path, bytes, cause);
		if (rc < 0 || *bytes == expect)
			break;
		nanosleep(&pause, NULL);
	}
	return rc;
}

/* SATA through libata; USB and SAS may hide an ATA drive behind a translator. */
static bool hidden_transport(const struct device_info *dev, bool *bridged)
{
	*bridged = dev->transport == DEVICE_TRANSPORT_USB || dev->transport == DEVICE_TRANSPORT_SAS;
	return dev->transport == DEVICE_TRANSPORT_SATA || *bridged;
}

static void hidden_note(struct fw_job_hidden *h, const char *why)
{
	struct fw_hidden *hd = &h->result.hidden;

	if (!hd->checked && !hd->note[0])
		snprintf(hd->note, sizeof(hd->note), "%s", why ? why : "no answer");
}

/* After a restore: the kernel must see exactly the capacity the drive now has. */
static int hidden_rescan(const struct device_info *dev, struct fw_job_hidden *h, char **cause)
{
	const struct fw_hidden *hd = &h->result.hidden;
	uint64_t expect = (hd->current_max + 1) * hd->sector_size, bytes = 0;
	fw_job_rescan_fn fn = h->rescan ? h->rescan : fw_job_rescan;
	char self[64];
	int rc;

	/* the disk the job holds, not whatever its name leads to now */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", h->anchor);
	rc = fn(h->anchored ? self : dev->path, expect, &bytes, h->rescan_data, cause);

	if (rc < 0)
		return rc;
	if (bytes != expect)
		return util_fail(cause, -EIO, _("refused: the native max address was restored (%llu "
				 "sectors more) but after a rescan the kernel sees %llu bytes, not "
				 "%llu; nothing was overwritten: re-plug the drive or reboot, then "
				 "run again"), (unsigned long long)hd->restored_sectors,
				 (unsigned long long)bytes, (unsigned long long)expect);
	h->size = bytes;
	return 0;
}

/* Probe (and restore) through @sdev or the device's own transport. */
static int hidden_probe(const struct device_info *dev, struct fw_job_hidden *h,
			const struct fw_opts *o, char **cause)
{
	struct sgio_dev *sdev = h->sdev;
	int rc = 0;

	/* SET MAX writes to the drive: only through an anchor (the job's, or
	 * one taken now with every guard); a read-only probe may go by name */
	if (!sdev && (h->anchored || o->restore_max))
		rc = open_disk(dev, h->anchored ? h->anchor : -1, o->restore_max, &sdev, cause);
	else if (!sdev)
		rc = sgio_open(dev->path, false, &sdev, cause);
	if (rc == 0)
		rc = fw_hidden_dev(sdev, o, &h->result, cause);
	if (sdev != h->sdev)
		sgio_close(sdev);
	return rc;
}

int fw_job_hidden(const struct device_info *dev, const struct profile *p, struct fw_job_hidden *h,
		  char **cause)
{
	struct fw_opts o = h->opts;
	bool bridged = false;
	char *why = NULL;
	int rc;

	memset(&h->result, 0, sizeof(h->result));
	h->size = 0;
	h->applicable = p->method == PROFILE_METHOD_OVERWRITE &&
			(h->sdev || hidden_transport(dev, &bridged));
	if (!h->applicable)
		return 0;
	o.restore_max = o.restore_max || p->restore_max;
	o.media_kind = device_media_kind(dev);
	if (bridged && !o.allow_usb_bridge && !h->sdev) {
		hidden_note(h, "not checked: USB/SAS-attached (--allow-usb-bridge lets custos ask "
			    "an ATA drive behind a bridge)");
		return 0;
	}
	rc = hidden_probe(dev, h, &o, &why);
	if (rc < 0 && o.restore_max && why && (strncmp(why, "refused", 7) == 0 ||
	    /* TRANSLATORS: how every "refused: ..." message starts, the same there */
	    strncmp(why, _("refused: "), strlen(_("refused: "))) == 0))
		rc = util_fail(cause, rc, "%s", why);
	else if (rc < 0 && o.restore_max)
		rc = util_fail(cause, rc, _("refused: hidden areas (HPA/DCO/AMA) could not be "
			       "determined (%s), so restore-max cannot be honoured"),
			       why ? why : strerror(-rc));
	else if (rc < 0)
		hidden_note(h, why ? why : strerror(-rc));
	free(why);
	if (rc < 0 && o.restore_max)
		return rc;
	if (h->result.hidden.restored_sectors)
		return hidden_rescan(dev, h, cause);
	return 0;
}

static void hidden_unchecked_text(const struct fw_hidden *h, char *buf, size_t len)
{
	if (strncmp(h->note, "not ", 4) == 0)
		snprintf(buf, len, "%s", h->note);
	else
		snprintf(buf, len, "not checked: %s", h->note[0] ? h->note : "no answer");
}

void fw_job_hidden_text(const struct fw_result *r, char *buf, size_t len)
{
	const struct fw_hidden *h = r ? &r->hidden : NULL;

	if (!h)
		snprintf(buf, len, "not applicable (no ATA hidden areas on this target)");
	else if (!h->checked)
		hidden_unchecked_text(h, buf, len);
	else if (!h->known)
		snprintf(buf, len, "unknown (%s): any hidden area was NOT overwritten",
			 h->note[0] ? h->note : "no answer");
	else if (!h->hidden_sectors)
		snprintf(buf, len, "none (HPA/DCO/AMA checked)");
	else if (!h->still_hidden_sectors)
		snprintf(buf, len, "%llu sectors were hidden (HPA/DCO/AMA): restored before the "
			 "overwrite and overwritten", (unsigned long long)h->hidden_sectors);
	else
		snprintf(buf, len, "%llu sectors hidden (HPA/DCO/AMA), %llu restored: hidden area "
			 "of %llu sectors NOT overwritten (%s)",
			 (unsigned long long)h->hidden_sectors,
			 (unsigned long long)h->restored_sectors,
			 (unsigned long long)h->still_hidden_sectors,
			 h->restore_attempted ? "the restore failed" : "no restore-max");
}

json_t *fw_job_hidden_to_json(const struct fw_result *r)
{
	char text[320];
	json_t *j;

	fw_job_hidden_text(r, text, sizeof(text));
	if (!r)
		return json_pack("{s:s, s:s}", "status", "not applicable", "summary", text);
	if (!r->hidden.checked)
		return json_pack("{s:s, s:s, s:s}", "status", "not checked", "note",
				 r->hidden.note, "summary", text);
	j = fw_hidden_to_json(&r->hidden);
	if (j)
		json_object_set_new(j, "summary", json_string(text));
	return j;
}
