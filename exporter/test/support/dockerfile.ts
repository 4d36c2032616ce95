// Reads a Dockerfile with dockerfile-ast into the facts the image tests check: stages, their
// base images with build ARG defaults resolved, and the instructions of each stage; and works out
// which files a build context sends and a stage copies, with Docker's .dockerignore rules.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import { Arg, DockerfileParser, Env, JSONInstruction, Label } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';

// A CommonJS module typed as an ES module's default export: at run time the import is the factory.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

export interface Stage {
  /** The FROM image with ARG defaults substituted. */
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  stages: Stage[];
  /** ARG defaults, from every ARG in the file (later ones win). */
  args: Map<string, string>;
  /** Every instruction keyword of the file, upper case, in order. */
  keywords: string[];
}

export function parseDockerfile(path: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(readFileSync(path, 'utf8'));
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInstructions().filter((i): i is Arg => i instanceof Arg)) {
    const property = arg.getProperty();
    if (property?.getValue() != null) args.set(property.getName(), property.getValue() as string);
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const words = instruction.getArguments().map((a) => a.getValue());
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        image: substitute(words[0] ?? '', args),
        name: asIndex >= 0 ? (words[asIndex + 1] ?? null) : null,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { stages, args, keywords: dockerfile.getInstructions().map((i) => i.getKeyword()) };
}

function substitute(text: string, args: Map<string, string>): string {
  return text.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => args.get(name) ?? whole);
}

export const ofKeyword = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.getKeyword() === keyword);

/** The words of an exec-form (JSON) instruction such as CMD ["node", "x"]. */
export function jsonWords(instruction: Instruction): string[] {
  if (!(instruction instanceof JSONInstruction))
    throw new Error(`${instruction.getKeyword()} is not in exec form`);
  return instruction.getJSONStrings().map((s) => s.getJSONValue());
}

export function labels(stage: Stage): Map<string, string> {
  return new Map(
    stage.instructions
      .filter((i): i is Label => i instanceof Label)
      .flatMap((label) => label.getProperties())
      .map((p) => [p.getName(), (p.getValue() ?? '').replace(/^"|"$/g, '')]),
  );
}

export function envs(stage: Stage): Map<string, string> {
  return new Map(
    stage.instructions
      .filter((i): i is Env => i instanceof Env)
      .flatMap((env) => env.getProperties())
      .map((p) => [p.getName(), p.getValue() ?? '']),
  );
}

/** The shell text of every RUN of the stage, continuation lines joined. */
export const runScripts = (stage: Stage): string[] =>
  ofKeyword(stage, 'RUN').map((run) => (run.getRawArgumentsContent() ?? '').replace(/\\\r?\n/g, ' '));

/** A flag such as --from=build of a COPY, or undefined. */
export function flag(instruction: Instruction, name: string): string | undefined {
  const flags = (
    instruction as unknown as { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }
  ).getFlags?.();
  return flags?.find((f) => f.getName() === name)?.getValue() ?? undefined;
}

/** The version-like tag of an image reference; undefined for a missing tag or `latest`. */
export function pinnedTag(image: string): string | undefined {
  const tag = /^[^@]+:([^:/@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
  return tag !== undefined && /^v?\d+(\.\d+)+/.test(tag) ? tag : undefined;
}

/**
 * The files `docker build` sends from `root`: every file git knows (tracked or new, not
 * git-ignored) that `.dockerignore` lets through, matched as Docker matches it.
 */
export function buildContext(root: string, rules = dockerignoreRules(root)): string[] {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const files = listed.stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
  return dockerignore().add(rules).filter(files);
}

/** The lines of `root`'s .dockerignore. */
export function dockerignoreRules(root: string): string[] {
  return readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
}

/** The context files the COPY instructions of a stage take from the context (not --from a stage). */
export function copiedFiles(stage: Stage, context: string[]): string[] {
  const sources = ofKeyword(stage, 'COPY')
    .filter((c) => flag(c, 'from') === undefined)
    .flatMap((c) =>
      c
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue())
        .filter((source) => !source.startsWith('--'))
        .map((source) => source.replace(/^\.\//, '').replace(/\/$/, '')),
    );
  return context.filter((file) => sources.some((source) => file === source || file.startsWith(`${source}/`)));
}
