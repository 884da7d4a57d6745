/* SPDX-License-Identifier: GPL-2.0 */
/* ZOC volumes: what main.c calls of volume.c. */

#ifndef _ZOC_VOLUME_INTERNAL_H
#define _ZOC_VOLUME_INTERNAL_H

int zoc_volume_register(void);
void zoc_volume_unregister(void);

#endif /* _ZOC_VOLUME_INTERNAL_H */
