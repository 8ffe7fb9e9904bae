/*
 * cff.h -- the parts of an OpenType font's 'CFF ' table that cairo reads
 * (cff.c; used by ftfaces.c, tested by tests/unit/test_cff.c).
 */
#ifndef BK_PDF_CFF_H
#define BK_PDF_CFF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ft2build.h>
#include FT_FREETYPE_H

/* FT_Load_Sfnt_Table's shape: reads *length bytes of the table tag from
 * offset into buffer. */
typedef FT_Error pdf_table_reader(FT_Face, FT_ULong, FT_Long, FT_Byte *, FT_ULong *);

/* Whether the header, name INDEX and top DICT INDEX of the CFF data at
 * data end within its first n bytes (what cairo's CID check reads). */
bool pdf_cff_head_within(const FT_Byte *data, size_t n);

/* The glyphs drawn with one font file's face: a bit per glyph id, set by
 * any thread. */
typedef struct pdf_glyph_set {
    size_t nglyphs;
    _Atomic uint64_t *bits;
} pdf_glyph_set;

/* Fills buf (len bytes, the whole CFF table's size) with what cairo's
 * subsetter reads of a CID-keyed CFF table, for the glyphs of used and
 * glyph 0: every structure (header, the INDEXes' offsets, the DICTs,
 * every subroutine, FDSelect, charset) and only those glyphs'
 * charstrings. The rest of buf is not written. false (buf then partly
 * written) when the table is not CID-keyed, or is anything this does not
 * follow to the letter: the caller reads it whole instead. *copied: the
 * bytes read. */
bool pdf_cff_fill_used(pdf_table_reader *read, FT_Face face, FT_Byte *buf, size_t len,
                       const pdf_glyph_set *used, size_t *copied);

#endif
