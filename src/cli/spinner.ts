/** A one-line spinner on a terminal's stderr (only where stderr is a TTY): `say` changes its text, `stop` clears it. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function startSpinner(stream: NodeJS.WritableStream): { say(text: string): void; stop(): void } {
  let text = '';
  let frame = 0;
  const draw = () => stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  const timer = setInterval(draw, 100);
  return {
    say(next) {
      text = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
