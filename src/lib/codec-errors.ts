/**
 * The one error class of the codecs. A corrupt or hostile compressed chunk is
 * bad input, so it is a FormatError with a stable code and the input byte
 * offset where decoding stopped. Codes mirror liblzo's LZO_E_* results
 * (include/linux/lzo.h) and the failure classes of LZ4_decompress_safe().
 */
import { FormatError } from '../errors.js';

export type CodecErrorCode =
  /** LZO_E_ERROR (-1): a structurally impossible stream (e.g. end marker with a bad length). */
  | 'LZO_ERROR'
  /** LZO_E_INPUT_OVERRUN (-4): the stream ends before the end marker / inside an instruction. */
  | 'LZO_INPUT_OVERRUN'
  /** LZO_E_OUTPUT_OVERRUN (-5): the decoded data does not fit the output buffer. */
  | 'LZO_OUTPUT_OVERRUN'
  /** LZO_E_LOOKBEHIND_OVERRUN (-6): a match reaches before the start of the output. */
  | 'LZO_LOOKBEHIND_OVERRUN'
  /** LZO_E_INPUT_NOT_CONSUMED (-8): bytes follow the end marker. */
  | 'LZO_INPUT_NOT_CONSUMED'
  /** Caller bug: the compressor's destination is smaller than the worst case. */
  | 'LZO_DST_TOO_SMALL'
  /** The block ends inside a sequence (token, length, literals or offset). */
  | 'LZ4_INPUT_OVERRUN'
  /** The decoded data does not fit the output buffer. */
  | 'LZ4_OUTPUT_OVERRUN'
  /** Offset 0, or an offset reaching before the start of the output. */
  | 'LZ4_LOOKBEHIND_OVERRUN'
  /** Violates the block end rules (last 5 bytes literals, last match ≥ 12 bytes before end) or is empty. */
  | 'LZ4_MALFORMED'
  /** Caller bug: the compressor's destination is smaller than LZ4_COMPRESSBOUND. */
  | 'LZ4_DST_TOO_SMALL'
  /** A chunk decoded cleanly but not to the length the stream position requires. */
  | 'CHUNK_BAD_UNC_LEN';

export class CodecError extends FormatError {
  declare readonly code: CodecErrorCode;
  /** Bytes written to the output before the error (diagnostics only). */
  readonly outputOffset: number;

  constructor(code: CodecErrorCode, message: string, inputOffset: number, outputOffset = 0) {
    super(code, message, { offset: inputOffset });
    this.outputOffset = outputOffset;
  }
}
