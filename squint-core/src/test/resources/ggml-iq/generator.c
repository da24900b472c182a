// Generator of the ggml-iq reference vectors (see README.md). Build against ggml sources; not part of the Maven build.
#include "ggml-quants.c"
#include <stdarg.h>

float lm_ggml_table_f32_f16[1 << 16];
void lm_ggml_abort(const char * file, int line, const char * fmt, ...) { fprintf(stderr, "abort %s:%d %s\n", file, line, fmt); abort(); }
size_t lm_ggml_type_size(enum lm_ggml_type t) { (void)t; return 0; }
size_t lm_ggml_row_size(enum lm_ggml_type t, int64_t ne) { (void)t; (void)ne; return 0; }
const char * lm_ggml_type_name(enum lm_ggml_type t) { (void)t; return "?"; }

void lm_ggml_vec_dot_iq2_xxs_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq2_xs_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq2_s_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq3_xxs_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq3_s_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq1_s_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq1_m_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);

typedef void (*dot_fn)(int, float*, size_t, const void*, size_t, const void*, size_t, int);
typedef size_t (*quant_fn)(const float*, void*, int64_t, int64_t, const float*);
typedef void (*deq_fn)(const void*, float*, int64_t);

struct tinfo { const char * name; enum lm_ggml_type t; int bytes; int needs_imatrix; quant_fn q; deq_fn dq; dot_fn dot; };
static struct tinfo types[] = {
  {"IQ2_XXS", LM_GGML_TYPE_IQ2_XXS, 66, 1, quantize_iq2_xxs, (deq_fn)dequantize_row_iq2_xxs, lm_ggml_vec_dot_iq2_xxs_q8_K_generic},
  {"IQ2_XS",  LM_GGML_TYPE_IQ2_XS,  74, 1, quantize_iq2_xs,  (deq_fn)dequantize_row_iq2_xs,  lm_ggml_vec_dot_iq2_xs_q8_K_generic},
  {"IQ2_S",   LM_GGML_TYPE_IQ2_S,   82, 0, quantize_iq2_s,   (deq_fn)dequantize_row_iq2_s,   lm_ggml_vec_dot_iq2_s_q8_K_generic},
  {"IQ3_XXS", LM_GGML_TYPE_IQ3_XXS, 98, 0, quantize_iq3_xxs, (deq_fn)dequantize_row_iq3_xxs, lm_ggml_vec_dot_iq3_xxs_q8_K_generic},
  {"IQ3_S",   LM_GGML_TYPE_IQ3_S,  110, 0, quantize_iq3_s,   (deq_fn)dequantize_row_iq3_s,   lm_ggml_vec_dot_iq3_s_q8_K_generic},
  {"IQ1_S",   LM_GGML_TYPE_IQ1_S,   50, 1, quantize_iq1_s,   (deq_fn)dequantize_row_iq1_s,   lm_ggml_vec_dot_iq1_s_q8_K_generic},
  {"IQ1_M",   LM_GGML_TYPE_IQ1_M,   56, 0, quantize_iq1_m,   (deq_fn)dequantize_row_iq1_m,   lm_ggml_vec_dot_iq1_m_q8_K_generic},
};

static uint64_t fnv(uint64_t h, const void * p, size_t n) {
  const uint8_t * b = p; for (size_t i = 0; i < n; ++i) { h ^= b[i]; h *= 0x100000001b3ULL; } return h;
}
static void * readf(const char * path, size_t * n) {
  FILE * f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
  void * p = malloc(*n); if (fread(p, 1, *n, f) != *n) exit(1); fclose(f); return p;
}
static void writef(const char * path, const void * p, size_t n) {
  FILE * f = fopen(path, "wb"); if (!f) { perror(path); exit(1); } fwrite(p, 1, n, f); fclose(f);
}
static uint64_t sm_state;
static uint64_t sm_next(void) { uint64_t z = (sm_state += 0x9E3779B97F4A7C15ULL); z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL; return z ^ (z >> 31); }
static double u01(void) { return (sm_next() >> 11) * 0x1.0p-53; }
static double normal(void) { double a = u01(); double b = u01(); return sqrt(-2*log(1-a)) * cos(2*M_PI*b); }

int main(int argc, char ** argv) {
  const char * indir = argv[1]; const char * outdir = argv[2];
  char path[1024];
  for (int i = 0; i < 65536; ++i) lm_ggml_table_f32_f16[i] = lm_ggml_compute_fp16_to_fp32((lm_ggml_fp16_t)i);
  // 1. the grid tables as stored in ggml-common.h
  snprintf(path, sizeof path, "%s/iq-grids.bin", outdir);
  FILE * g = fopen(path, "wb");
  fwrite(ksigns_iq2xs, 1, 128, g);
  fwrite(iq2xxs_grid, 8, 256, g); fwrite(iq2xs_grid, 8, 512, g); fwrite(iq2s_grid, 8, 1024, g);
  fwrite(iq3xxs_grid, 4, 256, g); fwrite(iq3s_grid, 4, 512, g); fwrite(iq1s_grid, 8, 2048, g);
  fclose(g);
  // 2. init structures, fingerprinted
  enum lm_ggml_type it[4] = {LM_GGML_TYPE_IQ2_XXS, LM_GGML_TYPE_IQ2_XS, LM_GGML_TYPE_IQ1_S, LM_GGML_TYPE_IQ2_S};
  int isz[4] = {256, 512, 2048, 1024};
  for (int k = 0; k < 4; ++k) {
    lm_iq2xs_init_impl(it[k]);
    int gi = iq2_data_index(it[k]);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, iq2_data[gi].grid, 8*isz[k]);
    h = fnv(h, iq2_data[gi].map, 4*43692);
    int total = 0; for (int i = 0; i < 43692; ++i) if (iq2_data[gi].map[i] < 0) { int off = -iq2_data[gi].map[i]-1; int nn = iq2_data[gi].neighbours[off]; if (off + nn + 1 > total) total = off + nn + 1; }
    h = fnv(h, iq2_data[gi].neighbours, 2*total);
    printf("iq2 grid %d: neighbours %d fnv %016llx\n", isz[k], total, (unsigned long long)h);
  }
  for (int k = 0; k < 2; ++k) {
    int sz = k ? 512 : 256; lm_iq3xs_init_impl(sz);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, iq3_data[k].grid, 4*sz);
    h = fnv(h, iq3_data[k].map, 4*4096);
    int total = 0; for (int i = 0; i < 4096; ++i) if (iq3_data[k].map[i] < 0) { int off = -iq3_data[k].map[i]-1; int nn = iq3_data[k].neighbours[off]; if (off + nn + 1 > total) total = off + nn + 1; }
    h = fnv(h, iq3_data[k].neighbours, 2*total);
    printf("iq3 grid %d: neighbours %d fnv %016llx\n", sz, total, (unsigned long long)h);
  }
  lm_iq2xs_init_impl(LM_GGML_TYPE_IQ1_M);
  // 3. an odd-block-count input: 3 rows x 1280 (5 blocks), normal(seed 11), imatrix exp(1.5 normal) seed 1011
  {
    int R = 3, N = 1280; float * x = malloc(4*R*N), * w = malloc(4*N);
    sm_state = 11; for (int i = 0; i < R*N; ++i) x[i] = (float)normal();
    sm_state = 1011; for (int i = 0; i < N; ++i) w[i] = (float)exp(1.5*normal());
    snprintf(path, sizeof path, "%s/inputs/odd5.f32", outdir); writef(path, x, 4*R*N);
    snprintf(path, sizeof path, "%s/inputs/odd5.imatrix.f32", outdir); writef(path, w, 4*N);
  }
  const char * names[] = {"normal","uniform","outliers","zeros","tiny","mixed","real_wq_l0","real_w1_l0","odd5"};
  for (int ni = 0; ni < 9; ++ni) {
    size_t nx, nw; int N = ni == 8 ? 1280 : 512;
    snprintf(path, sizeof path, "%s/%s.f32", ni == 8 ? outdir : indir, ni == 8 ? "inputs/odd5" : names[ni]);
    float * x = readf(path, &nx);
    snprintf(path, sizeof path, "%s/%s.imatrix.f32", ni == 8 ? outdir : indir, ni == 8 ? "inputs/odd5" : names[ni]);
    float * w = readf(path, &nw);
    int R = nx / 4 / N; int nb = N / 256;
    // activations: row r is dotted with Q8_K of row (r+1) % R
    block_q8_K * y = malloc(sizeof(block_q8_K) * nb * R);
    for (int r = 0; r < R; ++r) quantize_row_q8_K_ref(x + ((r+1)%R)*N, y + r*nb, N);
    snprintf(path, sizeof path, "%s/q8k/%s.q8k.bin", outdir, names[ni]); writef(path, y, sizeof(block_q8_K)*nb*R);
    for (int ti = 0; ti < 7; ++ti) {
      struct tinfo * T = &types[ti];
      for (int wi = 0; wi < 2; ++wi) {
        if (wi == 0 && T->needs_imatrix) continue;
        size_t qb = (size_t)T->bytes * nb * R;
        uint8_t * q = malloc(qb); memset(q, 0xAA, qb);
        T->q(x, q, R, N, wi ? w : NULL);
        float * d = malloc(4*R*N); float * dots = malloc(4*R);
        for (int r = 0; r < R; ++r) {
          T->dq(q + (size_t)r*T->bytes*nb, d + r*N, N);
          T->dot(N, dots + r, 0, q + (size_t)r*T->bytes*nb, 0, y + r*nb, 0, 1);
        }
        const char * sfx = wi ? ".imatrix" : "";
        snprintf(path, sizeof path, "%s/%s/%s%s.q.bin", outdir, T->name, names[ni], sfx); writef(path, q, qb);
        snprintf(path, sizeof path, "%s/%s/%s%s.deq.f32", outdir, T->name, names[ni], sfx); writef(path, d, 4*R*N);
        snprintf(path, sizeof path, "%s/%s/%s%s.dot.f32", outdir, T->name, names[ni], sfx); writef(path, dots, 4*R);
        free(q); free(d); free(dots);
      }
    }
  }
  return 0;
}
