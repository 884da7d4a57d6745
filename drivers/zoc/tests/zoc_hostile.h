/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hostile driver tests (zoc_nvme_hostile_test,
 * zoc_virtio_hostile_test) share: a debugfs directory whose "run" takes
 * the PCI address of a function of the ZOC bus with no driver bound and
 * runs every case on it, and whose "results" says how each case went,
 * "NAME ok" or "NAME FAIL: why", one run at a time.  "refused" and
 * "errors" count, for the last run, the inputs the device was seen to
 * refuse (each must show in its "invalid" statistic) and the requests it
 * completed with an error status (each must show in its "errors").
 */
#ifndef _ZOC_HOSTILE_H
#define _ZOC_HOSTILE_H

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define ZOC_HOSTILE_WHY_LEN	192
#define ZOC_HOSTILE_RESULTS_LEN	SZ_8K

/**
 * struct zoc_hostile_log - how the current case goes
 * @what: the step in progress, put before a failure, or NULL
 * @failed: a case of the run failed
 * @refused: inputs of the current case the device was seen to refuse
 * @errors: requests of the current case completed with an error status
 * @why: the first failure of the current case, "" if none
 */
struct zoc_hostile_log {
	const char *what;
	bool failed;
	u64 refused;
	u64 errors;
	char why[ZOC_HOSTILE_WHY_LEN];
};

/**
 * struct zoc_hostile - a hostile driver test
 * @name: its debugfs directory
 * @run: runs every case on a function; 0, or -EIO if a case failed
 * @domain: the ZOC bus's PCI domain: functions elsewhere are refused
 * @dir: its debugfs directory
 * @mutex: one run at a time; protects the results
 * @refused: inputs of the last run the device was seen to refuse
 * @errors: requests of the last run completed with an error status
 * @len: bytes of @results used
 * @results: the results of the last run
 */
struct zoc_hostile {
	const char *name;
	int (*run)(struct pci_dev *pdev);
	int domain;
	struct dentry *dir;
	/* one run at a time; protects the results */
	struct mutex mutex;
	u64 refused;
	u64 errors;
	size_t len;
	char results[ZOC_HOSTILE_RESULTS_LEN];
};

/*
 * The parameters of a fuzz case: how long it runs (10 s unless said, 0
 * skips it) and the seed of its pseudo-random sequence of @inputs.
 */
#define ZOC_HOSTILE_FUZZ_PARAMS(inputs)					\
	static unsigned int fuzz_secs = 10;				\
	module_param(fuzz_secs, uint, 0644);				\
	MODULE_PARM_DESC(fuzz_secs, "seconds the fuzz case runs; 0 skips it"); \
	static unsigned long long fuzz_seed = 1;			\
	module_param(fuzz_seed, ullong, 0644);				\
	MODULE_PARM_DESC(fuzz_seed, "seed of the fuzz case's " inputs)

/* Note a failure of the current case; the first one is kept. */
static inline __printf(2, 3) void zoc_hostile_fail(struct zoc_hostile_log *log,
						   const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (log->why[0])
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (log->what)
		snprintf(log->why, sizeof(log->why), "%s: %pV", log->what, &vaf);
	else
		snprintf(log->why, sizeof(log->why), "%pV", &vaf);
	va_end(args);
}

/* Add the current case's line and counts to the results. */
static inline void zoc_hostile_record(struct zoc_hostile *h,
				      struct zoc_hostile_log *log,
				      struct pci_dev *pdev, const char *name)
{
	bool ok = !log->why[0];

	h->refused += log->refused;
	h->errors += log->errors;
	log->refused = 0;
	log->errors = 0;

	if (!ok) {
		log->failed = true;
		pr_warn("%s: %s FAIL: %s\n", pci_name(pdev), name, log->why);
	}
	h->len += scnprintf(h->results + h->len, sizeof(h->results) - h->len,
			    "%s %s%s\n", name, ok ? "ok" : "FAIL: ", log->why);
}

/* A new run: the results of the last one go. */
static inline void zoc_hostile_clear(struct zoc_hostile *h)
{
	h->refused = 0;
	h->errors = 0;
	h->len = 0;
	h->results[0] = '\0';
}

static ssize_t zoc_hostile_run_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct zoc_hostile *h = file->private_data;
	unsigned int dom, bus, slot, fn;
	struct pci_dev *pdev;
	char buf[32], extra;
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(strim(buf), "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn,
		   &extra) != 4 || bus > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	/* A hostile driver is for the ZOC bus only. */
	if (dom != h->domain)
		return -ENODEV;
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	ret = mutex_lock_interruptible(&h->mutex);
	if (!ret) {
		ret = h->run(pdev);
		mutex_unlock(&h->mutex);
	}
	pci_dev_put(pdev);
	return ret ?: count;
}

static ssize_t zoc_hostile_results_read(struct file *file, char __user *ubuf,
					size_t count, loff_t *ppos)
{
	struct zoc_hostile *h = file->private_data;
	ssize_t ret;

	ret = mutex_lock_interruptible(&h->mutex);
	if (ret)
		return ret;
	ret = simple_read_from_buffer(ubuf, count, ppos, h->results, h->len);
	mutex_unlock(&h->mutex);
	return ret;
}

static const struct file_operations zoc_hostile_run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = zoc_hostile_run_write,
	.llseek = noop_llseek,
};

static const struct file_operations zoc_hostile_results_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = zoc_hostile_results_read,
	.llseek = default_llseek,
};

/* Take @pdev as its driver would: enabled, its BAR0 ours and in @bar. */
static inline int zoc_hostile_claim(struct pci_dev *pdev, void __iomem **bar)
{
	int ret;

	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_mem_regions(pdev, KBUILD_MODNAME);
	if (ret)
		goto out_disable;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto out_release;
	*bar = pci_iomap(pdev, 0, 0);
	if (*bar)
		return 0;
	ret = -ENOMEM;
out_release:
	pci_clear_master(pdev);
	pci_release_mem_regions(pdev);
out_disable:
	pci_disable_device(pdev);
	return ret;
}

static inline void zoc_hostile_release(struct pci_dev *pdev,
				       void __iomem *bar)
{
	pci_iounmap(pdev, bar);
	pci_clear_master(pdev);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
}

static inline void zoc_hostile_init(struct zoc_hostile *h)
{
	mutex_init(&h->mutex);
	h->dir = debugfs_create_dir(h->name, NULL);
	debugfs_create_file("run", 0200, h->dir, h, &zoc_hostile_run_fops);
	debugfs_create_file("results", 0400, h->dir, h,
			    &zoc_hostile_results_fops);
	debugfs_create_u64("refused", 0400, h->dir, &h->refused);
	debugfs_create_u64("errors", 0400, h->dir, &h->errors);
}

static inline void zoc_hostile_exit(struct zoc_hostile *h)
{
	debugfs_remove_recursive(h->dir);
}

#endif /* _ZOC_HOSTILE_H */
