package dev.squint.formats.safetensors;

import dev.squint.core.ModelFormatException;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;

import static dev.squint.formats.safetensors.StBytes.f32;
import static dev.squint.formats.safetensors.StBytes.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Named.named;

/** Each hostile single file must fail with a one-line ModelFormatException naming the file and the fault. */
class SafetensorsHostileTest {
    @TempDir Path dir;

    static Arguments hostile(String what, byte[] bytes, String fault) {
        return Arguments.of(named(what, bytes), fault);
    }

    static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    static Stream<Arguments> cases() {
        byte[] badUtf8 = "{\"a\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1); // a lone 0xFF byte
        return Stream.of(
                hostile("shorter than 8 bytes", new byte[] {1, 2, 3}, "shorter than the 8-byte header length"),
                hostile("absurd header length", file(1L << 40, new byte[0], new byte[16]), "larger than the 100000000-byte limit"),
                hostile("negative header length", file(-5, new byte[0], new byte[16]), "larger than the 100000000-byte limit"),
                hostile("header past end of file", file(1000, "{}".getBytes(), new byte[10]), "header length 1000 runs past the end of the file"),
                hostile("header not an object", file("[1,2,3]", 0), "header is a list, not a JSON object"),
                hostile("empty header", file("", 0), "header is missing, not a JSON object"),
                hostile("header a string", file("  \"x\"", 0), "header is a string, not a JSON object"),
                hostile("malformed JSON", file("{\"a\": {\"dtype\": ", 0), "header is not valid JSON"),
                hostile("invalid UTF-8", file(badUtf8.length, badUtf8, new byte[0]), "header is not valid JSON"),
                hostile("duplicate tensor name", file("{" + f32("w", 1, 0) + "," + f32("w", 1, 4) + "}", 8), "Duplicate field 'w'"),
                hostile("content after the object", file("{}x", 0), "header is not valid JSON"),
                hostile("second JSON value", file("{} {}", 0), "content after its closing"),
                hostile("unknown dtype", file("{" + tensor("w", "F7", "[1]", "[0,1]") + "}", 1), "tensor 'w': unknown dtype 'F7'"),
                hostile("dtype not a string", file("{\"w\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "tensor 'w': dtype is an integer"),
                hostile("missing dtype", file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "tensor 'w': no dtype"),
                hostile("missing shape", file("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1), "tensor 'w': no shape"),
                hostile("missing offsets", file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1), "tensor 'w': no data_offsets"),
                hostile("entry not an object", file("{\"w\":[1,2]}", 0), "tensor 'w': entry is a list, not an object"),
                hostile("shape not a list", file("{" + tensor("w", "U8", "3", "[0,3]") + "}", 3), "tensor 'w': shape is an integer, not a list"),
                hostile("negative dimension", file("{" + tensor("w", "U8", "[-1]", "[0,0]") + "}", 0), "tensor 'w': shape holds -1"),
                hostile("minus zero dimension", file("{" + tensor("w", "U8", "[-0]", "[0,0]") + "}", 0), "tensor 'w': shape holds -0"),
                hostile("float dimension", file("{" + tensor("w", "U8", "[1.5]", "[0,1]") + "}", 1), "tensor 'w': shape holds a float"),
                hostile("string dimension", file("{" + tensor("w", "U8", "[\"2\"]", "[0,2]") + "}", 2), "tensor 'w': shape holds a string"),
                hostile("dimension beyond 64 bits", file("{" + tensor("w", "U8", "[100000000000000000000]", "[0,1]") + "}", 1), "not a non-negative 64-bit integer"),
                hostile("shape product overflow", file("{" + tensor("w", "U8", "[4294967296,4294967296]", "[0,1]") + "}", 1), "tensor 'w': element count of shape [4294967296, 4294967296] overflows"),
                hostile("byte size overflow", file("{" + tensor("w", "F64", "[4611686018427387904]", "[0,1]") + "}", 1), "tensor 'w': byte size of shape"),
                hostile("one offset", file("{" + tensor("w", "U8", "[1]", "[1]") + "}", 1), "tensor 'w': data_offsets has 1 numbers, expected [begin, end]"),
                hostile("three offsets", file("{" + tensor("w", "U8", "[1]", "[0,1,2]") + "}", 1), "expected [begin, end]"),
                hostile("begin after end", file("{" + tensor("w", "U8", "[0]", "[4,2]") + "}", 4), "tensor 'w': data_offsets begin 4 is after end 2"),
                hostile("negative offset", file("{" + tensor("w", "U8", "[1]", "[-1,0]") + "}", 1), "tensor 'w': data_offsets holds -1"),
                hostile("offsets not a list", file("{" + tensor("w", "U8", "[1]", "{}") + "}", 1), "tensor 'w': data_offsets is an object"),
                hostile("size mismatch", file("{" + tensor("w", "F32", "[2]", "[0,4]") + "}", 4), "tensor 'w': data_offsets span 4 bytes, but shape [2] of F32 needs 8"),
                hostile("half a byte of F4", file("{" + tensor("w", "F4", "[3]", "[0,2]") + "}", 2), "tensor 'w': 3 F4 elements do not fill whole bytes"),
                hostile("end beyond data", file("{" + f32("w", 4, 0) + "}", 8), "tensor 'w': data_offsets end 16 is beyond the data section (8 bytes)"),
                hostile("huge end", file("{" + tensor("w", "U8", "[0]", "[9223372036854775807,9223372036854775807]") + "}", 0), "tensor 'w': data_offsets end 9223372036854775807 is beyond"),
                hostile("overlapping tensors", file("{" + f32("a", 2, 0) + "," + f32("b", 2, 4) + "}", 12), "tensor 'b': bytes 4..12 overlap tensor 'a'"),
                hostile("hole before a tensor", file("{" + f32("a", 1, 0) + "," + f32("b", 1, 8) + "}", 12), "tensor 'b': starts at data offset 8, leaving a hole of 4 bytes"),
                hostile("hole at the start", file("{" + f32("a", 1, 4) + "}", 8), "tensor 'a': starts at data offset 4"),
                hostile("trailing bytes", file("{" + f32("a", 1, 0) + "}", 9), "tensors cover 4 bytes of a 9-byte data section"),
                hostile("metadata value not a string", file("{\"__metadata__\":{\"n\":3}}", 0), "__metadata__ key 'n': value is an integer, not a string"),
                hostile("metadata not an object", file("{\"__metadata__\":[\"x\"]}", 0), "__metadata__ is a list, not a JSON object"),
                hostile("deep nesting", file("{\"w\":{\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}}", 0), "header is not valid JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void hostileFileIsAOneLineFormatFault(byte[] bytes, String fault) throws IOException {
        Path p = StBytes.write(dir, "hostile.safetensors", bytes);
        ModelFormatException e = catchThrowableOfType(ModelFormatException.class, () -> SafetensorsReader.open(p).close());
        assertThat(e).as("no ModelFormatException").isNotNull();
        assertThat(e.getMessage()).startsWith(p.toString() + ": ").contains(fault).doesNotContain("\n");
        assertThat(e.file()).isEqualTo(p);
    }
}
