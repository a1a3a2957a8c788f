export function NewAgreement() {
  return <h1>Create an agreement</h1>;
}
