/* LVM2 identifiers (lib/uuid/uuid.c): 32 characters from a 64-character
 * alphabet, written in text as 6-4-4-4-4-4-6 groups joined by '-'.
 *
 * The reader strips every '-' and then wants exactly 32 valid characters,
 * so a dash-less id is accepted.  New ids use only the first 62 characters
 * of the alphabet (no '!' or '#'), as id_create() does.
 */
#ifndef ULVM_LVM_ID_H
#define ULVM_LVM_ID_H

#include <stdbool.h>

#include "common/log.h"

#define LVM_ID_LEN 32      /* characters, no NUL */
#define LVM_ID_TEXT_LEN 38 /* with the 6 dashes */

/* @s (NUL-terminated) into 32 id characters plus a NUL in @out. */
int lvm_id_parse(const char *s, char out[LVM_ID_LEN + 1], struct err *e);
/* The dashed text form of the 32 characters at @id. */
void lvm_id_format(const char *id, char out[LVM_ID_TEXT_LEN + 1]);
/* A fresh random id (getrandom). */
int lvm_id_create(char out[LVM_ID_LEN + 1], struct err *e);
/* The 32 characters at @id are all in the alphabet. */
bool lvm_id_valid(const char *id);

#endif
