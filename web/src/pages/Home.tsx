export function Home() {
  return <h1>My agreements</h1>;
}
