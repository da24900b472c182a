package dev.squint.kernels;

import dev.squint.core.codec.Int8Rows;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class VectorInt8RowsTest {

    @Test
    void quantizeAndDequantizeMatchTheScalarTwinAtOddSizesAndOffsets() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int n : VectorFloatFormatsTest.SIZES) {
            for (int off : new int[] {0, 1, 5, 13}) {
                float[] src = new float[n + off];
                for (int i = 0; i < src.length; i++) src[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-10, 10)));
                if (n > 2) src[off + n / 2] = 0f;
                byte[] a = new byte[n + off + 3], b = new byte[n + off + 3];
                float sa = Int8Rows.quantizeRow(src, off, n, a, off + 3);
                float sb = VectorInt8Rows.quantizeRow(src, off, n, b, off + 3);
                assertThat(sb).isEqualTo(sa);
                assertThat(b).as("n=%d off=%d", n, off).isEqualTo(a);
                // the same codes written as floats (no negative zeros), with the same scale
                float[] codes = new float[n + off + 2];
                assertThat(VectorInt8Rows.quantizeRowToFloats(src, off, n, codes, off + 2)).isEqualTo(sa);
                for (int i = 0; i < n; i++) assertThat(Float.floatToRawIntBits(codes[off + 2 + i])).isEqualTo(Float.floatToRawIntBits(a[off + 3 + i]));
                float[] da = new float[n + off], db = new float[n + off];
                Int8Rows.dequantizeRow(a, off + 3, n, sa, da, off);
                VectorInt8Rows.dequantizeRow(b, off + 3, n, sb, db, off);
                for (int i = 0; i < da.length; i++) assertThat(Float.floatToRawIntBits(db[i])).isEqualTo(Float.floatToRawIntBits(da[i]));
            }
        }
    }

    @Test
    void tiesRoundToEvenAndZeroRowsGiveZeroScale() {
        int n = 67; // vector body plus tail
        float[] src = new float[n];
        src[0] = 127f; // absmax 127: scale exactly 1
        for (int i = 1; i < n; i++) src[i] = (i % 2 == 0 ? 1 : -1) * ((i % 20) + 0.5f);
        byte[] a = new byte[n], b = new byte[n];
        assertThat(Int8Rows.quantizeRow(src, 0, n, a, 0)).isEqualTo(1f);
        assertThat(VectorInt8Rows.quantizeRow(src, 0, n, b, 0)).isEqualTo(1f);
        assertThat(b).isEqualTo(a);
        for (int i = 1; i < n; i++) assertThat((int) b[i]).as("%s", src[i]).isEqualTo((int) Math.rint(src[i]));
        assertThat((int) b[1]).isEqualTo(-2); // -1.5 -> -2
        assertThat((int) b[2]).isEqualTo(2); // 2.5 -> 2

        float[] zeros = new float[40];
        byte[] z = new byte[40];
        assertThat(VectorInt8Rows.quantizeRow(zeros, 0, 40, z, 0)).isZero();
        assertThat(z).containsOnly((byte) 0);
    }
}
