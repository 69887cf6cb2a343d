/* SPDX-License-Identifier: MIT */
/* JSON configs: {"uwsgi": {"key": value, "list": [v1, v2]}} (jansson).
 * Arrays become repeated keys; true/false become true/false, null is skipped. */
#include "config/config.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>


static char *
scalar_text(json_t *v, bool *ok)
{
	*ok = true;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		*ok = false;
		return NULL;
	}
}

static int
feed_json_value(struct feed_ctx *fc, const char *key, json_t *v, struct origin o,
                           bool no_expand)
{
	if (json_is_null(v))
		return 0;
	bool ok;
	char *text = scalar_text(v, &ok);
	if (!ok) {
		config_error(o, "key '%s': value must be a string, number, boolean or an array of them", key);
		return -1;
	}
	int rc = feed(fc, key, text, o, no_expand);
	free(text);
	return rc;
}

static int
feed_section(struct loader *L, json_t *obj, struct origin o, bool no_expand)
{
	struct feed_ctx *fc = feed_begin(L);
	const char *key;
	json_t *v;
	int rc = 0;
	json_object_foreach(obj, key, v) {
		if (json_is_array(v)) {
			size_t i;
			json_t *item;
			json_array_foreach(v, i, item) {
				if (json_is_array(item) || json_is_object(item)) {
					config_error(o, "key '%s': nested arrays/objects are not allowed", key);
					rc = -1;
					break;
				}
				if ((rc = feed_json_value(fc, key, item, o, no_expand)) < 0)
					break;
			}
		} else {
			rc = feed_json_value(fc, key, v, o, no_expand);
		}
		if (rc < 0)
			break;
	}
	return feed_finish(fc, rc);
}

int
config_load_json(struct loader *L, const char *spec, struct origin from, bool no_expand)
{
	char *path, *section;
	int rc = -1;
	config_split_spec(spec, &path, &section);
	char *text = config_read_text(L, spec, path, section, "JSON", from);
	if (!text)
		goto out;
	json_error_t err;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	free(text);
	struct origin o = { intern(path), 0 };
	if (!root) {
		config_error((struct origin){ intern(path), err.line }, "invalid JSON: %s", err.text);
		goto out;
	}
	const char *want = section ? section : "uwsgi";
	json_t *obj = json_object_get(root, want);
	if (!obj && !section)
		obj = json_object_get(root, "stockade");
	if (!obj) {
		log_msg("%s: warning: no \"%s\" object found", path, want);
		rc = 0;
	} else if (!json_is_object(obj)) {
		config_error(o, "\"%s\" must be an object", want);
	} else {
		L->depth++;
		rc = feed_section(L, obj, o, no_expand);
		L->depth--;
	}
	json_decref(root);
out:
	free(path);
	free(section);
	return rc;
}
