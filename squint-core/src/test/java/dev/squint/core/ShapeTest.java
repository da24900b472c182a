package dev.squint.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShapeTest {
    @Test
    void rowsAndRowLengthFollowTheOutermostFirstConvention() {
        Shape s = Shape.of(5, 172, 64);
        assertThat(s.elementCount()).isEqualTo(5L * 172 * 64);
        assertThat(s.rowLength()).isEqualTo(64);
        assertThat(s.rowCount()).isEqualTo(5L * 172);
        assertThat(s.reversed()).containsExactly(64, 172, 5);
        assertThat(s).hasToString("[5, 172, 64]");
        assertThat(Shape.of().elementCount()).isEqualTo(1);
        assertThat(Shape.of(0, 7).rowCount()).isZero();
    }

    @Test
    void refusesNegativeDimensionsAndOverflow() {
        assertThatThrownBy(() -> Shape.of(2, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Shape.of(1L << 40, 1L << 40)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overflows");
    }

    @Test
    void isAValue() {
        long[] dims = {3, 4};
        Shape s = Shape.of(dims);
        dims[0] = 99;
        assertThat(s.dim(0)).isEqualTo(3);
        assertThat(s).isEqualTo(Shape.of(3, 4)).hasSameHashCodeAs(Shape.of(3, 4));
    }

    @Test
    void tensorInfoComputesBytesAndChecksBlocks() {
        assertThat(TensorInfo.of("w", GgmlType.Q8_0, Shape.of(4, 64)).byteSize()).isEqualTo(4 * 2 * 34);
        assertThatThrownBy(() -> TensorInfo.of("w", GgmlType.Q8_0, Shape.of(4, 60)))
                .hasMessageContaining("not a multiple");
    }
}
